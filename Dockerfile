# infralogs: one image for every mode (agent, collect, serve, query, rotate-creds).
#
# The final image is the one binary plus what the agent needs to read a host's journal:
# libsystemd.so.0 and every library it loads (ELF dependencies, its .note.dlopen sonames, and
# the journal's compression libraries zstd/lz4/xz and libgcrypt), glibc, CA certificates,
# tzdata, /etc/passwd and /etc/group with the numeric non-root user 65532, and
# /var/lib/dpkg/status.d/ so scanners see the Debian packages. It has no shell and no package
# manager, and works with a read-only root filesystem (nothing in it is written at run time).
# scripts/delivery/stage-rootfs assembles that tree from installed Debian packages.
#
# Two ways to build it, same final stage ("runtime"):
#
# 1. With a registry (CI, a developer laptop): the default target "image" compiles in a Debian
#    12 build stage (the project's libraries are Debian 12 packages), stages the rootfs from
#    that stage's packages, and copies it onto BASE_IMAGE.
#      docker build -t infralogs .                       # FROM scratch (default)
#      docker build --build-arg BASE_IMAGE=gcr.io/distroless/cc-debian13:nonroot@sha256:DIGEST \
#        --build-arg STAGE_OPTIONS=--on-distroless -t infralogs .
#    Pin BUILDER_IMAGE and BASE_IMAGE by digest where the registry is reachable (`skopeo
#    inspect docker://IMAGE` gives it); never distroless debian12 (end of life September 2026).
#
# 2. Offline (here, where no registry can be reached): scripts/delivery/check-image reuses the
#    CMake build (build/infralogs), stages build/image/rootfs from this machine's Debian
#    packages, and builds the target "staged", which copies that tree onto scratch:
#      scripts/delivery/stage-rootfs --binary build/infralogs --out build/image/rootfs
#      podman build --target staged -t localhost/infralogs:dev .
#    Stages a target does not use are skipped, so the build stage's registry image is not pulled.
#
# No HEALTHCHECK: Kubernetes ignores it and OCI images drop it; the probes live in the chart
# (/healthz). The agent needs the host's journal group at run time (--group-add /
# supplementalGroups): its GID differs per distribution, so none is baked in.

ARG BUILDER_IMAGE=docker.io/library/debian:bookworm-slim
ARG BASE_IMAGE=scratch

# --- build: compile and stage the rootfs (only where a registry exists) ---------------------
FROM ${BUILDER_IMAGE} AS build
ARG STAGE_OPTIONS=""
WORKDIR /src
COPY . .
ENV CMAKE_BUILD_PARALLEL_LEVEL=4
RUN scripts/setup \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build --target infralogs \
 && scripts/delivery/stage-rootfs --binary /build/infralogs --out /rootfs ${STAGE_OPTIONS}

# --- runtime: metadata shared by both final targets ------------------------------------------
FROM ${BASE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG BASE_IMAGE
ARG BASE_DIGEST=""
ARG SOURCE_URL=""
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="infralogs" \
      org.opencontainers.image.description="systemd journal of a fleet: agent, collector, dashboard and admin CLI in one binary" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.url="${SOURCE_URL}" \
      org.opencontainers.image.documentation="docs/operations.md in the source" \
      org.opencontainers.image.vendor="infralogs" \
      org.opencontainers.image.authors="infralogs maintainers" \
      org.opencontainers.image.licenses="${LICENSES}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.opencontainers.image.base.digest="${BASE_DIGEST}"
USER 65532:65532
ENTRYPOINT ["/usr/bin/infralogs"]
CMD ["--help"]

# --- staged: the rootfs staged on the host (offline builds) ----------------------------------
FROM runtime AS staged
COPY build/image/rootfs/ /

# --- image (default): the rootfs from the build stage ----------------------------------------
FROM runtime AS image
COPY --from=build /rootfs/ /
