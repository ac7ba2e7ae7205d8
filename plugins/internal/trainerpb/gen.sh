#!/bin/sh
# Regenerates trainer.pb.go and trainer_grpc.pb.go from trainer.proto.
# protoc comes from Debian's protobuf-compiler (3.21.12 when last run); the Go
# generators are pinned here and built from the Go module proxy:
#   protoc-gen-go       google.golang.org/protobuf v1.36.6 (the go.mod version)
#   protoc-gen-go-grpc  v1.3.0 (the newest whose output builds with grpc v1.61.0)
set -eu
cd "$(dirname "$0")"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin GOFLAGS=-mod=mod go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6
GOBIN=$bin GOFLAGS=-mod=mod go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.3.0
protoc --plugin=protoc-gen-go="$bin/protoc-gen-go" --plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	trainer.proto
