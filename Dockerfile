# Tracium collector: a static binary on a distroless base, run as non-root.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY sdk/go.mod sdk/
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tracium-server ./cmd/tracium-server \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tracium-migrate ./cmd/tracium-migrate \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tracium-server /out/tracium-migrate /usr/local/bin/
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV TRACIUM_ADDR=:8080 TRACIUM_DATA_DIR=/data
EXPOSE 8080 4317
VOLUME /data
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/usr/local/bin/tracium-server", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tracium-server"]
