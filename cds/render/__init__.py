"""Render stage: cards, the pre-filled referral ServiceRequest and its Norwegian narrative."""
