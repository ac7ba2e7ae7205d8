package main

import "github.com/spf13/cobra"

func newPredictCmd() *cobra.Command {
	return &cobra.Command{Use: "predict", Hidden: true, RunE: func(*cobra.Command, []string) error { return usagef("predict: not built yet") }}
}
