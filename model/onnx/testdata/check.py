"""Checks an ONNX file written by automl's model/onnx and evaluates it.

usage: check.py MODEL.onnx [INPUTS.json OUTPUTS.json]

It runs onnx.checker.check_model(full_check=True) and prints a JSON
description of the model (IR and opset versions, inputs, outputs, node
types, initializer shapes, metadata). With INPUTS.json ({"column": [values]},
null for a missing number) it evaluates the graph with a small numpy
interpreter of the operators model/onnx emits (onnxruntime is not in
Debian, and onnx.reference came after onnx 1.12) and writes the graph's
outputs to OUTPUTS.json.
"""
import json
import math
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

DTYPES = {1: np.float32, 7: np.int64, 8: object, 9: np.bool_, 11: np.float64}


def attrs(node):
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        out[a.name] = v
    return out


def label_encoder(x, a):
    keys = next(a[k] for k in ("keys_strings", "keys_int64s", "keys_floats") if k in a)
    for vk, dk, dt in (("values_strings", "default_string", object),
                       ("values_int64s", "default_int64", np.int64),
                       ("values_floats", "default_float", np.float32)):
        if vk in a:
            table = dict(zip(keys, a[vk]))
            default = a.get(dk, {"default_string": "_Unused", "default_int64": -1, "default_float": -0.0}[dk])
            flat = [table.get(k.item() if isinstance(k, np.generic) else k, default) for k in x.ravel()]
            return np.array(flat, dtype=dt).reshape(x.shape)
    raise ValueError("LabelEncoder without values")


def one_hot_encoder(x, a):
    cats = a.get("cats_int64s", a.get("cats_strings"))
    index = {c: i for i, c in enumerate(cats)}
    out = np.zeros(x.shape + (len(cats),), dtype=np.float32)
    for pos, v in np.ndenumerate(x):
        v = v.item() if isinstance(v, np.generic) else v
        if v in index:
            out[pos + (index[v],)] = 1
        elif a.get("zeros", 1) == 0:
            raise ValueError("OneHotEncoder: unknown category %r" % (v,))
    return out


def gemm(a, b, c, at):
    if at.get("transA", 0):
        a = a.T
    if at.get("transB", 0):
        b = b.T
    return (at.get("alpha", 1.0) * (a @ b) + at.get("beta", 1.0) * c).astype(a.dtype)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


erf = np.vectorize(math.erf, otypes=[np.float64])

OPS = {
    "Identity": lambda i, a: i[0],
    "IsNaN": lambda i, a: np.isnan(i[0]),
    "Where": lambda i, a: np.where(i[0], i[1], i[2]).astype(np.result_type(i[1], i[2])),
    "Add": lambda i, a: i[0] + i[1],
    "Sub": lambda i, a: i[0] - i[1],
    "Mul": lambda i, a: i[0] * i[1],
    "Div": lambda i, a: i[0] / i[1],
    "Cast": lambda i, a: i[0].astype(DTYPES[a["to"]]),
    "Concat": lambda i, a: np.concatenate(i, axis=a["axis"]),
    "Flatten": lambda i, a: i[0].reshape(int(np.prod(i[0].shape[:a.get("axis", 1)])), -1),
    "Gemm": lambda i, a: gemm(i[0], i[1], i[2] if len(i) > 2 else np.float32(0), a),
    "Relu": lambda i, a: np.maximum(i[0], np.float32(0)),
    "LeakyRelu": lambda i, a: np.where(i[0] < 0, i[0] * np.float32(a.get("alpha", 0.01)), i[0]),
    "Tanh": lambda i, a: np.tanh(i[0]),
    "Sigmoid": lambda i, a: (1 / (1 + np.exp(-i[0]))).astype(i[0].dtype),
    "Erf": lambda i, a: erf(i[0]).astype(i[0].dtype),
    "Softmax": lambda i, a: softmax(i[0], a.get("axis", -1)),
    "Sum": lambda i, a: sum(i[1:], i[0]),
    "Mean": lambda i, a: (sum(i[1:], i[0]) / np.float32(len(i))).astype(i[0].dtype),
    "ArgMax": lambda i, a: np.argmax(i[0], axis=a.get("axis", 0)) if a.get("keepdims", 1) == 0
    else np.expand_dims(np.argmax(i[0], axis=a.get("axis", 0)), a.get("axis", 0)),
    "LabelEncoder": lambda i, a: label_encoder(i[0], a),
    "OneHotEncoder": lambda i, a: one_hot_encoder(i[0], a),
}


def evaluate(model, feeds):
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    with np.errstate(over="ignore"):
        for node in model.graph.node:
            if node.op_type not in OPS:
                raise ValueError("no numpy evaluator for %s (node %s)" % (node.op_type, node.name))
            ins = [env[n] for n in node.input if n]
            env[node.output[0]] = OPS[node.op_type](ins, attrs(node))
    return {o.name: env[o.name] for o in model.graph.output}


def describe(model):
    def vi(v):
        t = v.type.tensor_type
        return {"name": v.name, "elem_type": t.elem_type,
                "shape": [d.dim_param or d.dim_value for d in t.shape.dim]}
    return {
        "ir_version": model.ir_version,
        "producer": model.producer_name,
        "opsets": {o.domain: o.version for o in model.opset_import},
        "inputs": [vi(v) for v in model.graph.input],
        "outputs": [vi(v) for v in model.graph.output],
        "ops": [n.op_type for n in model.graph.node],
        "initializers": {t.name: list(t.dims) for t in model.graph.initializer},
        "metadata": {p.key: p.value for p in model.metadata_props},
    }


def feeds_from(model, columns):
    feeds = {}
    for v in model.graph.input:
        col = columns[v.name]
        dt = DTYPES[v.type.tensor_type.elem_type]
        if dt is object:
            feeds[v.name] = np.array(col, dtype=object).reshape(-1, 1)
        else:
            feeds[v.name] = np.array([math.nan if x is None else x for x in col], dtype=dt).reshape(-1, 1)
    return feeds


def main():
    model = onnx.load(sys.argv[1])
    onnx.checker.check_model(model, full_check=True)
    print(json.dumps(describe(model)))
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            columns = json.load(f)
        outs = evaluate(model, feeds_from(model, columns))
        res = {k: v.tolist() for k, v in outs.items()}
        with open(sys.argv[3], "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main()
