# Pakkeforløp CDS as a container: `make docker`, then
#   docker run -p 8080:8080 -v cds-data:/app/data pakkeforlop-cds
# TLS is terminated in front of the container (CDS Hooks requires HTTPS in production).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The service reads criteria/ and fhir_profiles/ beside the package (the repository layout), so the
# image keeps that layout and installs the package in place.
COPY pyproject.toml README.md ./
COPY cds ./cds
COPY criteria ./criteria
COPY fhir_profiles ./fhir_profiles
RUN pip install -e .

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin cds \
    && mkdir -p /app/data && chown cds /app/data
USER cds

# Two workers: one per core of the two-core machines the benchmark measures (README «Speed»).
ENV DATABASE_URL=sqlite:////app/data/feedback.sqlite3 \
    PORT=8080 \
    CDS_WORKERS=2
VOLUME ["/app/data"]
EXPOSE 8080

# `cds serve`: no uvicorn access log (ours is JSON without query strings), no server banner.
CMD ["cds", "serve", "--host", "0.0.0.0"]
