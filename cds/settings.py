"""The one settings object. Every value has an embedded default so ``make run`` works as is.

Environment variables (prefix ``CDS_``, except ``DATABASE_URL`` and ``PORT``) override them; see
README «Innstillinger / Settings». Validators refuse values that would make the service unsafe or
unable to start, naming the setting.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    }
)


class Settings(BaseSettings):
    """Service configuration."""

    model_config = SettingsConfigDict(env_prefix="CDS_", extra="ignore")

    criteria_dir: Path = REPO_ROOT / "criteria"
    database_url: str = Field(
        default=f"sqlite:///{REPO_ROOT / 'feedback.sqlite3'}",
        validation_alias=AliasChoices("DATABASE_URL", "CDS_DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, validation_alias=AliasChoices("PORT", "CDS_PORT"))
    # Public base URL, used in card links back to us; None: derive from the request.
    public_base_url: str | None = None
    max_body_bytes: int = 5_000_000
    # FHIR server fallback: per-request timeout, total budget, and a bound on `next` pages.
    fhir_timeout_s: float = 3.0
    fhir_budget_s: float = 4.0
    fhir_max_pages: int = 10
    # Card types a site has switched off (comma-separated), against alert fatigue.
    disabled_cards: Annotated[frozenset[str], NoDecode] = frozenset()
    # CORS: origins allowed to call from a browser (the public sandbox needs its own origin).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ("https://sandbox.cds-hooks.org",)
    log_level: str = "INFO"

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

    @field_validator("max_body_bytes", "fhir_max_pages")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once (tests override with dependency_overrides)."""
    return Settings()
