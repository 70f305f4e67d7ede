"""The one settings object. Every value has an embedded default so ``make run`` works as is.

Environment variables (prefix ``CDS_``, except ``DATABASE_URL`` and ``PORT``) override them; see
README «Settings». Validators refuse values that would make the service unsafe or
unable to start, naming the setting.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cds.auth.clients import TrustedClient, load_trusted_clients
from cds.auth.keys import ASYMMETRIC_ALGORITHMS
from cds.auth.urls import public_url_problem
from cds.record.outbound import parse_allowlist

REPO_ROOT = Path(__file__).resolve().parent.parent

# The outcomes of docs/architecture.md «Outcomes and cards»; "begrunnet" also switches off the
# card that merges several begrunnet pathways.
ALL_CARD_TYPES: frozenset[str] = frozenset(
    {
        "acute",
        "begrunnet",
        "mistanke",
        "not_met",
        "unsupported_referral",
        "advice",
        "stop_order",
        # cds.render.unassessed: a silent pathway left open by a value that could not be used,
        # and a pathway whose evaluation failed
        "not_assessed",
        "failed",
        # cds.render.safety_net: a pathway referral with no first attendance by its deadline, or
        # a pathway ended without cancer while the finding persists (patient-view)
        "safety_net",
        # cds.followups / cds.render.followup_cards: the follow-up programme after cancer
        # treatment (controls due, needs assessment, programme completed, group unknown, an order
        # not due), or only the order-select card about an imaging order not due now
        "followup",
        "followup_not_due",
        # cds.render.registration (service pakkeforlop-registrering): proposed registrations,
        # and the choice between two decision codes a report cannot tell apart
        "registration",
        "registration_choice",
    }
)


class Settings(BaseSettings):
    """Service configuration."""

    model_config = SettingsConfigDict(env_prefix="CDS_", extra="ignore")

    criteria_dir: Path = REPO_ROOT / "criteria"
    # The source texts the criteria quote (Helsedirektoratet's pathway texts, as plain text).
    # Only the citation tests read them; the service runs without them. See README «Where the
    # rules live».
    sources_dir: Path = REPO_ROOT.parent / "shared" / "seeds"
    database_url: str = Field(
        default=f"sqlite:///{REPO_ROOT / 'feedback.sqlite3'}",
        validation_alias=AliasChoices("DATABASE_URL", "CDS_DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, validation_alias=AliasChoices("PORT", "CDS_PORT"))
    # Public base URL: the JWT audience a CDS Client's token must name (cards never link back to
    # us). Required when auth is on: the audience must not come from Host headers.
    public_base_url: str | None = None
    max_body_bytes: int = 5_000_000
    # Hostile or broken callers (README «Settings»): a body must arrive within this time (slow
    # uploads hold a connection and a worker otherwise); request line plus headers are bounded
    # (32 KiB: uvicorn's h11 default is 16 KiB, but a JWT with a certificate chain comes near
    # that); an idle keep-alive connection is closed.
    body_timeout_s: float = 10.0
    max_header_bytes: int = 32_768
    keep_alive_timeout_s: int = 5
    # FHIR server fallback: per-request timeout, total budget, and a bound on `next` pages.
    fhir_timeout_s: float = 3.0
    fhir_budget_s: float = 4.0
    fhir_max_pages: int = 10
    # Bounded fan-out (cds/record/fhirpool.py, cds/record/prefetch.py): reads at once per hook
    # call and per process, reads allowed to wait for a process slot (beyond: «FHIR server
    # unavailable» at once), connections per FHIR server origin, and origins kept open.
    fhir_call_concurrency: int = 4
    fhir_max_concurrent: int = 64
    fhir_max_queued: int = Field(default=256, ge=0)
    fhir_pool_per_origin: int = 16
    fhir_max_origins: int = 16
    # Worker processes of `cds serve`: the pipeline is CPU work under one GIL per process, so one
    # worker per core (two on two cores) is the deployment the benchmark measures (README «Speed»).
    workers: int = 1
    # Bounded work per worker (cds/api/admission.py): pipelines run at once, calls waiting for
    # one (beyond: 503 with Retry-After), and the Retry-After seconds. The pipeline is CPU work
    # under one GIL: more than two at once only holds more records in memory.
    pipeline_concurrency: int = 2
    pipeline_max_queued: int = Field(default=32, ge=0)
    retry_after_s: int = 1
    # The sandbox page at / and its /sandbox/* routes (cds/api/sandbox.py); a deployment that
    # only serves EHRs may switch them off.
    sandbox: bool = True
    # A fixed date every call is evaluated at, for demos and benchmarks on the example patients
    # (whose results are from before 2026-11-20); a deployment leaves it unset (start-up warns).
    today: date | None = None
    # Development mode: plain http and loopback FHIR servers are allowed (`make run` sets it).
    dev_mode: bool = False
    # Outbound policy (cds/record/outbound.py): hosts and CIDRs a FHIR server may be at although
    # they are private/link-local/metadata (comma-separated), e.g. an EHR on the hospital network.
    outbound_allow: Annotated[tuple[str, ...], NoDecode] = ()
    # Card types a site has switched off (comma-separated), against alert fatigue.
    disabled_cards: Annotated[frozenset[str], NoDecode] = frozenset()
    # GP safety-netting (cds/evaluate/safety_net.py, README «Safety-netting»): days past the
    # first-attendance deadline (day N) before an info card (0: from day N+1) and a warning
    # (14: from day N+15); episodes older than the first look-back and «ikke påvist kreft»
    # decisions older than the second are left alone (likely missing data, or long dealt with).
    safety_net_info_after_days: int = Field(default=0, ge=0)
    safety_net_warning_after_days: int = Field(default=14, ge=0)
    safety_net_lookback_days: int = Field(default=90, ge=1)
    safety_net_not_cancer_lookback_days: int = Field(default=180, ge=1)
    # CORS: origins allowed to call from a browser (the public sandbox needs its own origin).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ("https://sandbox.cds-hooks.org",)
    log_level: str = "INFO"
    # text: one readable line per event; json: one JSON object per line (for log shippers).
    log_format: Literal["text", "json"] = "text"
    # CDS Client JWT (CDS Hooks §Trusting CDS Clients, cds/auth/). Off by default so that
    # `make run` and the README's curl examples work; a deployment must switch it on.
    auth_required: bool = False
    # YAML list of trusted clients (iss, jku/jwks, tenants, fhir_servers); required when on.
    trusted_clients_file: Path | None = None
    # Services choose the algorithms they trust; CDS Hooks recommends ES384 and RS384.
    auth_algorithms: Annotated[tuple[str, ...], NoDecode] = ("ES384", "RS384")
    # Clock skew allowed for exp and iat (Inferno's verifier uses 60 s too).
    auth_leeway_s: int = 60
    # Longest CDS Client JWT lifetime (exp - iat) accepted; iat may be at most this (+ leeway) old.
    jwt_max_lifetime_s: int = 300
    # Database (cds/db.py): run the Alembic migrations at start-up (off: `cds db upgrade` first).
    db_migrate_on_start: bool = True
    # Audit log (cds/audit.py): rows waiting for the writer before new ones are dropped (counted
    # and logged), and days a row is kept (0: for ever; `cds db prune-audit` deletes by hand).
    audit_queue_size: int = 10_000
    audit_retention_days: int = 90
    _trusted_clients: tuple[TrustedClient, ...] = PrivateAttr(default=())

    @field_validator("criteria_dir")
    @classmethod
    def _criteria_dir_exists(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"CDS_CRITERIA_DIR {value} is not a directory")
        return value

    @field_validator("disabled_cards", mode="before")
    @classmethod
    def _split_cards(cls, value: object) -> object:
        if isinstance(value, str):
            value = frozenset(v.strip() for v in value.split(",") if v.strip())
        unknown = set(value) - ALL_CARD_TYPES if isinstance(value, frozenset | set) else set()
        if unknown:
            raise ValueError(f"CDS_DISABLED_CARDS: unknown card types {sorted(unknown)}")
        return value

    @model_validator(mode="after")
    def _safety_net_order(self) -> Settings:
        if self.safety_net_warning_after_days < self.safety_net_info_after_days:
            raise ValueError(
                "CDS_SAFETY_NET_WARNING_AFTER_DAYS must not be below "
                "CDS_SAFETY_NET_INFO_AFTER_DAYS"
            )
        return self

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _split_allow(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _valid_allow(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_allowlist(value)  # ValueError naming the entry
        return value

    @field_validator("auth_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("auth_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("CDS_AUTH_ALGORITHMS must name at least one algorithm")
        # CDS Hooks §JWT Signing Algorithm: never `none`, never symmetric (HMAC) algorithms.
        forbidden = [a for a in value if a.lower() == "none" or a.upper().startswith("HS")]
        if forbidden:
            raise ValueError(f"CDS_AUTH_ALGORITHMS: {forbidden} are never accepted (none/HMAC)")
        unknown = [a for a in value if a not in ASYMMETRIC_ALGORITHMS]
        if unknown:
            choices = sorted(ASYMMETRIC_ALGORITHMS)
            raise ValueError(f"CDS_AUTH_ALGORITHMS: unknown {unknown}; choose from {choices}")
        return value

    @field_validator("auth_leeway_s")
    @classmethod
    def _small_leeway(cls, value: int) -> int:
        # A leeway of hours would make exp meaningless and the replay cache grow with it.
        if not 0 <= value <= 300:
            raise ValueError("CDS_AUTH_LEEWAY_S must be between 0 and 300 seconds")
        return value

    @field_validator("jwt_max_lifetime_s")
    @classmethod
    def _lifetime_at_most_an_hour(cls, value: int) -> int:
        # CDS Hooks: "no more than an hour"; the replay rows live as long as the tokens.
        if not 1 <= value <= 3600:
            raise ValueError("CDS_JWT_MAX_LIFETIME_S must be between 1 and 3600 seconds")
        return value

    @model_validator(mode="after")
    def _load_trusted_clients(self) -> Settings:
        if self.auth_required and self.trusted_clients_file is None:
            raise ValueError(
                "CDS_AUTH_REQUIRED is on but CDS_TRUSTED_CLIENTS_FILE is not set "
                "(see docs/trusted-clients.example.yaml)"
            )
        if self.trusted_clients_file is not None:
            # Read now, so a missing or invalid file stops the start-up, naming the setting.
            self._trusted_clients = load_trusted_clients(self.trusted_clients_file)
        if self.auth_required:
            self._check_strict_trust()
        return self

    def _check_strict_trust(self) -> None:
        """With auth on: a public URL for the audience, and no client that may send us anywhere."""
        if not self.public_base_url:
            raise ValueError(
                "CDS_AUTH_REQUIRED is on but CDS_PUBLIC_BASE_URL is not set: the JWT audience "
                "must be this service's public URL (e.g. https://cds.example.no), never the "
                "Host header a caller sends"
            )
        problem = public_url_problem(self.public_base_url)
        if problem:
            raise ValueError(f"CDS_PUBLIC_BASE_URL {problem}")
        unlisted = [client.iss for client in self._trusted_clients if client.fhir_servers is None]
        if unlisted:
            raise ValueError(
                f"CDS_TRUSTED_CLIENTS_FILE {self.trusted_clients_file}: client(s) "
                f"{', '.join(repr(iss) for iss in unlisted)} list no fhir_servers; with "
                "CDS_AUTH_REQUIRED on every client must list them (an empty list: prefetch only)"
            )

    @property
    def trusted_clients(self) -> tuple[TrustedClient, ...]:
        """The clients of ``trusted_clients_file``, read and validated with the settings."""
        return self._trusted_clients

    @field_validator("audit_retention_days")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("CDS_AUDIT_RETENTION_DAYS must be 0 (keep for ever) or more days")
        return value

    @field_validator(
        "max_body_bytes",
        "max_header_bytes",
        "fhir_max_pages",
        "audit_queue_size",
        "fhir_call_concurrency",
        "fhir_max_concurrent",
        "fhir_pool_per_origin",
        "fhir_max_origins",
        "pipeline_concurrency",
        "workers",
        "retry_after_s",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value


    @field_validator("body_timeout_s", "keep_alive_timeout_s")
    @classmethod
    def _positive_time(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once (tests override with dependency_overrides)."""
    return Settings()
