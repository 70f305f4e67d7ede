"""The one settings object. Every value has an embedded default so ``make run`` works as is.

Environment variables (prefix ``CDS_``, except ``DATABASE_URL`` and ``PORT``) override them; see
README «Settings». Validators refuse values that would make the service unsafe or
unable to start, naming the setting.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cds.client_auth import ASYMMETRIC_ALGORITHMS, TrustedClient, load_trusted_clients

REPO_ROOT = Path(__file__).resolve().parent.parent

# The outcomes of docs/architecture.md «Outcomes and cards»; "begrunnet" also switches off the
# card that merges several begrunnet pathways.
CardType = str  # "acute" | "begrunnet" | "mistanke" | "not_met" | "unsupported_referral" | ...
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
    # Public base URL, used in card links back to us; None: derive from the request.
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
    # Card types a site has switched off (comma-separated), against alert fatigue.
    disabled_cards: Annotated[frozenset[str], NoDecode] = frozenset()
    # CORS: origins allowed to call from a browser (the public sandbox needs its own origin).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ("https://sandbox.cds-hooks.org",)
    log_level: str = "INFO"
    # CDS Client JWT (CDS Hooks §Trusting CDS Clients, cds/client_auth.py). Off by default so that
    # `make run` and the README's curl examples work; a deployment must switch it on.
    auth_required: bool = False
    # YAML list of trusted clients (iss, jku/jwks, tenants, fhir_servers); required when on.
    trusted_clients_file: Path | None = None
    # Services choose the algorithms they trust; CDS Hooks recommends ES384 and RS384.
    auth_algorithms: Annotated[tuple[str, ...], NoDecode] = ("ES384", "RS384")
    # Clock skew allowed for exp and iat (Inferno's verifier uses 60 s too).
    auth_leeway_s: int = 60
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

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
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
        return self

    @property
    def trusted_clients(self) -> tuple[TrustedClient, ...]:
        """The clients of ``trusted_clients_file``, read and validated with the settings."""
        return self._trusted_clients

    @field_validator("max_body_bytes", "fhir_max_pages", "max_header_bytes")
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
