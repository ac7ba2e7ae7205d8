package main

import "automl/model/onnx"

// automl model export --format onnx: package model/onnx writes the graph.
func init() { exportONNX = onnx.Export }
