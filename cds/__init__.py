"""Pakkeforløp CDS: a CDS Hooks 2.0 service checking Norwegian cancer pathway referral criteria."""
