// Package onnx writes a trained model as an ONNX graph (IR version 8,
// opset 13 of ai.onnx and opset 2 of ai.onnx.ml), so that any ONNX runtime
// can predict with it.
//
// The graph takes one input per column, named as the column, shaped [N,1]:
// numeric columns as double (NaN where missing), categorical columns as
// string (trimmed, as the trainer's CSV reader trims cells; a missing cell
// as one of the trainer's missing-value tokens, such as ""). The fitted
// preprocessing is folded in:
//
//   - numeric: Where(IsNaN(x), fill, x), then (x-mean)/std, then Cast to
//     float; a missing indicator is Cast(IsNaN(x));
//   - categorical: ai.onnx.ml LabelEncoder maps each level to its one-hot
//     position (missing tokens to the imputed level's, unseen levels to -1),
//     ai.onnx.ml OneHotEncoder (zeros=1: -1 is all zeros, as at training)
//     and Flatten give the one-hot columns; the missing indicator is a
//     LabelEncoder of the missing tokens to 1.
//
// Each network has its own preprocessing (each fold fits its own). Its
// features are concatenated (the first layer's weight rows permuted to
// their order) and go through Gemm per dense layer (batch norm already
// folded in) and its activation (Relu, LeakyRelu, Tanh, Sigmoid; GELU as
// 0.5·x·(1+Erf(x/√2)), the Gelu operator being opset 20), then Sigmoid of
// the one logit as [1-p, p] (binary), Softmax (multiclass) or the target's
// scaling undone (regression). The networks' outputs are averaged by
// weight, as model.Predict averages them: Mean when the weights are equal
// (the folds of a k-fold model), a weighted Sum otherwise (an ensemble's
// members). Outputs: classification gives "probabilities" (float
// [N, classes]) and "label" (string [N]: ArgMax then a LabelEncoder to the
// class names); regression gives "value" (double [N,1]).
//
// The protocol-buffer encoding is written by hand (wire.go, proto.go),
// without a protobuf dependency: only the messages and fields used here
// (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto,
// TypeProto, AttributeProto, OperatorSetIdProto, StringStringEntryProto),
// with their field numbers from onnx/onnx.proto. The tests check the files
// with onnx's own checker (onnx.checker.check_model, full_check) and
// evaluate the graph with numpy (testdata/check.py).
package onnx
