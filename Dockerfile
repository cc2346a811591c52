# Container image for people who use Docker; nothing in the project requires it.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/instainstru ./cmd/instainstru

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/instainstru /usr/local/bin/instainstru
USER nobody
EXPOSE 8080
ENTRYPOINT ["instainstru"]
CMD ["serve"]
