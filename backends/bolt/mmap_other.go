//go:build !unix

package bolt

import (
	"errors"
	"os"
)

// mapFile is not done here: the walk reads the file instead.
func mapFile(*os.File, int) ([]byte, error) { return nil, errors.New("no mmap") }

func unmapFile([]byte) {}
