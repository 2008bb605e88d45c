"""Configuration, from the environment (prefix ``EPCIS_``) or the command line."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EPCIS_", frozen=True)

    data_dir: Path = Field(
        default=Path("epcis-data"),
        description="Folder of the embedded SQLite store (when no MongoDB URI is set).",
    )
    mongodb_uri: str | None = Field(
        default=None, description="MongoDB connection string; selects the MongoDB store."
    )
    mongodb_database: str = Field(default="epcis", description="MongoDB database name.")
    gcp_length_table: Path | None = Field(
        default=None,
        description="GS1 Company Prefix length table (GS1's gcpprefixformatlist.json, or 'prefix length' "
        "lines), so that Digital Links of companies no captured EPC URN named can be written as EPC URNs.",
    )
    capture_limit_events: int = Field(default=50_000, ge=1, description="Most events one capture may carry.")
    capture_limit_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1, description="Largest capture body, in bytes (also for POST /events)."
    )
    per_page_default: int = Field(default=30, ge=1, description="Page size when a query gives no perPage.")
    per_page_max: int = Field(default=1000, ge=1, description="Largest page size a client may ask for.")
    oauth_issuer: str | None = Field(
        default=None,
        description="Issuer of accepted OAuth2 bearer tokens (JWTs); with the audience and key set.",
    )
    oauth_audience: str | None = Field(default=None, description="Audience accepted tokens must name.")
    oauth_jwks: str | None = Field(
        default=None, description="The issuer's JSON Web Key Set: an https URL, or a file."
    )
    oauth_organisation_claim: str = Field(default="org", description="Token claim naming the organisation.")
    oauth_roles_claim: str = Field(default="roles", description="Token claim listing the roles.")
    rate_limit_per_minute: int = Field(
        default=1200, ge=1, description="Requests a key (or token subject) may make per minute."
    )
    query_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest a query, a list or a trace may run before it is stopped."
    )
    shutdown_grace_seconds: float = Field(
        default=30.0, ge=0, description="How long shutdown waits for running captures."
    )
