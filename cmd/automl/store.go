package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"automl/backends/bolt"
	"automl/scheduler"
)

const defaultDB = "automl.db"

func addDBFlag(cmd *cobra.Command, db *string) {
	cmd.Flags().StringVar(db, "db", defaultDB, "the study file (bbolt)")
}

// openStore opens the study file for writing (creating it).
func openStore(path, command string) (*bolt.Store, error) {
	s, err := bolt.Open(path, &bolt.Options{Command: command})
	if err != nil {
		var inUse *bolt.InUseError
		if errors.As(err, &inUse) {
			return nil, usageError{err}
		}
		return nil, fmt.Errorf("open study file: %w", err)
	}
	return s, nil
}

// openReader opens the study file for reading; it works while a study runs.
func openReader(path string) (scheduler.Reader, error) {
	s, err := bolt.OpenReader(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("no study file %s (run automl search first, or pass --db)", path)
		}
		return nil, fmt.Errorf("open study file: %w", err)
	}
	return s, nil
}
