# syntax=docker/dockerfile:1
# Build: docker build -t inzage .
# Run (embedded SQLite):  docker run -p 8080:8080 -v inzage-data:/var/lib/inzage -e INZAGE_SECRET_KEY=… inzage
# Run (PostgreSQL):       docker run -p 8080:8080 -e INZAGE_DATABASE_URL=postgres://user:pass@db/inzage -e INZAGE_SECRET_KEY=… inzage

# No system libraries needed: libpq and OpenSSL are built from source (the image has a C
# compiler and perl), MySQL/MariaDB is read by a pure-Rust driver.
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml clippy.toml ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin inzage \
 && strip target/release/inzage

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/inzage --create-home inzage
COPY --from=builder /src/target/release/inzage /usr/local/bin/inzage
COPY exports /opt/inzage/exports
USER inzage
WORKDIR /var/lib/inzage
ENV INZAGE_BIND=0.0.0.0:8080 \
    INZAGE_DATABASE_URL=sqlite:///var/lib/inzage/inzage.db \
    INZAGE_DATA_DIR=/var/lib/inzage/var \
    INZAGE_LOG_FORMAT=json
VOLUME ["/var/lib/inzage"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["inzage"]
CMD ["serve"]
