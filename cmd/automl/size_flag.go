package main

import (
	"strconv"

	"automl/internal/bytesize"
)

// byteSize is a flag holding a size in bytes, written with a unit: 512MiB,
// 1.5GiB, 300MB, 2G. KB, MB, GB and TB are powers of 1000; K, M, G, T and
// KiB, MiB, GiB, TiB powers of 1024 (as nats-server reads them); a plain
// number is bytes. Zero means "not set".
type byteSize int64

// parseBytes reads a size as byteSize describes it (package bytesize).
func parseBytes(s string) (int64, error) { return bytesize.Parse(s) }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) String() string {
	if *b == 0 {
		return "" // not set: the help says what the default is
	}
	return strconv.FormatInt(int64(*b), 10) + "B"
}

func (b *byteSize) Type() string { return "size" }
