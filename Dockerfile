# automl in a container: one static binary (no cgo, no libc needed) on
# distroless/static, run as a non-root user. It serves the scheduler
# (automl search, --listen included), CPU workers with the built-in
# trainers (funcs, mlp) and Go plugin binaries, and the dashboard; the
# exec trainer (Python) and GPU workers need a base image with python3
# and glibc (nvidia-smi is linked against it): docs/deploy.md shows one.
#
#   docker build -t automl --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run --rm -v automl-data:/data automl search -space /usr/share/automl/examples/quickstart/space.yaml
#
# .dockerignore keeps .git out of the context, so the build info has no
# vcs.revision: VERSION and COMMIT reach automl version through -ldflags.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
# -s -w: no symbol table or DWARF (39 MB instead of 53 MB; panics still
# print file:line). -buildvcs=false: the context has no .git.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/automl ./cmd/automl \
 && /out/automl version \
 && mkdir -p /out/data

# distroless/static: CA certificates (TLS to a NATS server with a public
# certificate), /etc/passwd with the nonroot user (65532), a writable /tmp
# (go-plugin puts each plugin process's socket there), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/automl /usr/local/bin/automl
COPY --from=build /src/examples/quickstart/space.yaml /usr/share/automl/examples/quickstart/space.yaml
# The study file (automl.db), its NATS data and fleet directory live here.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME /data
USER 65532:65532
# automl search --listen 0.0.0.0:4222 (workers join here); automl
# dashboard's default port.
EXPOSE 4222 8080
ENTRYPOINT ["/usr/local/bin/automl"]
CMD ["--help"]
