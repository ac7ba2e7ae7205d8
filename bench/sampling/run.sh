#!/bin/sh
# Sampling cost per point in 10-D for random and Sobol search (goal: at
# most 20 microseconds per point). COUNT=n repeats each benchmark n times.
set -eu
cd "$(dirname "$0")/../.."
go test -run '^$' -bench 'Sample10D|Cube10D' -benchmem -count "${COUNT:-3}" ./search/random ./search/sobol |
	awk '
	/^pkg:/ { pkg = $2; sub(".*/", "", pkg) }
	/^Benchmark/ {
		name = $1; sub("-[0-9]+$", "", name)
		printf "%-8s %-20s %8.3f us/point  (%s ns/op, %s B/op, %s allocs/op)\n", pkg, name, $3 / 1000, $3, $5, $7
	}
	/^(FAIL|ok)/ { print }'
