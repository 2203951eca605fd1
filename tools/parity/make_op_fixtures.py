#!/usr/bin/env python3
"""PyTorch oracle for ann's libtorch-style ops and losses: writes tests/fixtures/ops.json.

Each case is one op on fixed inputs, in float32 and in float64, with some inputs given as
non-contiguous views (transposed, expanded, sliced) and some empty. Recorded per dtype: the
inputs, the output, and the gradient of sum(output * R) for each input that requires grad (R a
fixed weighting, drawn from a seeded generator). tests/test_op_parity.cpp replays each case by
name and compares.

How to run:  /usr/bin/python3 tools/parity/make_op_fixtures.py [--out tests/fixtures]
"""
import torch
import torch.nn.functional as F

from fixture_io import output_directory, write_fixture


LABELS = torch.tensor([0, 2, 1, 3, 2, 0])
LABELS_IGNORED = torch.tensor([0, -100, 1, 3, 2, -100])
WEIGHTS = torch.tensor([0.5, 2.0, 1.0, 1.5], dtype=torch.float64)
# scatter's and indexing's index tensors (the same in tests/test_op_parity.cpp)
SCATTER_INDEX = torch.tensor([[0, 4], [2, 1], [3, 0]])
SCATTER_INDEX_REPEATED = torch.tensor([[0, 0], [2, 2], [4, 1]])
SCATTER_INDEX_DIM0 = torch.tensor([[3, 0, 1], [1, 2, 3]])
POS_WEIGHT = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
BCE_WEIGHT = torch.tensor([[1.0, 0.25, 2.0]], dtype=torch.float64)
PICK = torch.tensor([[0, 3], [4, -1]])
MASK = torch.tensor([[True, False, True, False, False], [False, False, False, True, True],
                     [True, True, False, False, False], [False, False, False, False, False]])
ROW_MASK = torch.tensor([True, False, True, True, False])
ROWS = torch.tensor([[0, 3], [2, 1]])
COLS = torch.tensor([4, -1])
FIRST_MASK = torch.tensor([True, False, True, True])


def in_place(f):
    """f applied to a non-leaf copy of the first input, in place (the recorded in-place op)."""
    return lambda x, *rest: f(x * 1.5, *rest)


def index_put_mask(x):
    h = x * 1.0
    h[MASK] = 0.5
    return h

def through_select(x, w):
    h = x * 2.0
    h.select(0, 0).mul_(w)
    return h


def through_transpose_narrow(x, w):
    h = x * 1.0
    h.t().narrow(0, 1, 2).add_(w)
    return h


def index_put_tensors(x, w):
    h = x * 1.0
    h[torch.tensor([1, 0, 2]), torch.tensor([2, 2, 0])] = w
    return h


def copy_into_buffer(x):
    buf = torch.zeros(3, 4, dtype=x.dtype)
    buf.select(0, 1).copy_(x)
    return buf * 2.0


def stale_view(x):
    h = x * 1.0
    row = h[1]  # made before the write below, which changes its values
    h.select(0, 1).mul_(3.0)
    return row * 2.0 + h.sum(0)


# name -> (input shapes, input kinds, function). Kinds: "s" signed, "p" positive, "q" in (0, 1).
CASES = {
    # the basic ops: broadcasting, non-contiguous operands (transposed, permuted, strided,
    # expanded), and empty tensors
    "add_broadcast": ([[3, 4], [4]], "ss", lambda a, b: a + b),
    "sub_broadcast_column": ([[3, 4], [3, 1]], "ss", lambda a, b: a - b),
    "mul_transposed": ([[4, 3], [3, 4]], "ss", lambda a, b: a.t() * b),
    "div_expanded": ([[3, 4], [4]], "sp", lambda a, b: a / b.expand(3, 4)),
    "neg_strided": ([[4, 6]], "s", lambda x: x[:, ::2].neg()),
    "exp": ([[3, 4]], "s", torch.exp),
    "log": ([[3, 4]], "p", torch.log),
    "sqrt_permuted": ([[2, 3, 4]], "p", lambda x: x.permute(2, 0, 1).sqrt()),
    "pow_3": ([[3, 4]], "s", lambda x: x.pow(3.0)),
    "tanh": ([[3, 4]], "s", torch.tanh),
    "sigmoid": ([[3, 4]], "s", torch.sigmoid),
    "relu_transposed": ([[3, 4]], "s", lambda x: torch.relu(x.t())),
    "abs": ([[3, 4]], "s", torch.abs),
    "clamp": ([[3, 4]], "s", lambda x: x.clamp(-0.5, 0.5)),
    "maximum_broadcast": ([[3, 4], [4]], "ss", torch.maximum),
    "minimum_broadcast": ([[3, 4], [3, 1]], "ss", torch.minimum),
    "where_broadcast": ([[3, 4], [4]], "ss", lambda a, b: torch.where(a > 0, a, b)),
    "masked_fill": ([[3, 4]], "s", lambda x: x.masked_fill(x > 0, 0.5)),
    "sum_dim": ([[3, 4]], "s", lambda x: x.sum(1)),
    "sum_all_transposed": ([[3, 4]], "s", lambda x: x.t().sum()),
    "mean_keepdim": ([[3, 4]], "s", lambda x: x.mean(0, keepdim=True)),
    "max_dim": ([[3, 4]], "s", lambda x: x.max(1).values),
    "min_dim_keepdim": ([[3, 4]], "s", lambda x: x.min(0, keepdim=True).values),
    "max_all": ([[3, 4]], "s", lambda x: x.max()),
    "var_dim": ([[3, 5]], "s", lambda x: x.var(1)),
    "std_all": ([[3, 5]], "s", lambda x: x.std()),
    "norm_dim": ([[3, 4]], "s", lambda x: x.norm(dim=1)),
    "norm_p1": ([[3, 4]], "s", lambda x: torch.norm(x, 1)),
    "norm_inf_dims": ([[2, 3, 4]], "s", lambda x: torch.norm(x, float("inf"), [0, 2])),
    "norm_p3_keepdim": ([[2, 3, 4]], "s", lambda x: torch.norm(x, 3, [1], keepdim=True)),
    "logsumexp_dim": ([[3, 4]], "s", lambda x: torch.logsumexp(x, 1)),
    "softmax_dim0": ([[3, 4]], "s", lambda x: torch.softmax(x, 0)),
    "log_softmax_dim1": ([[3, 4]], "s", lambda x: torch.log_softmax(x, 1)),
    "matmul": ([[3, 4], [4, 5]], "ss", torch.matmul),
    "matmul_transposed": ([[4, 3], [5, 4]], "ss", lambda a, b: a.t() @ b.t()),
    "matmul_matrix_vector": ([[3, 4], [4]], "ss", torch.matmul),
    "outer": ([[3], [4]], "ss", torch.outer),
    "dot": ([[5], [5]], "ss", torch.dot),
    "cat_dim1": ([[3, 2], [3, 4]], "ss", lambda a, b: torch.cat([a, b], 1)),
    "stack": ([[3, 4], [3, 4]], "ss", lambda a, b: torch.stack([a, b], 1)),
    "gather": ([[3, 5]], "s", lambda x: x.gather(1, SCATTER_INDEX)),
    "index_select_repeated": ([[4, 3]], "s", lambda x: x.index_select(0, torch.tensor([2, 0, 2]))),
    "expand_from_row": ([[1, 4]], "s", lambda x: x.expand(3, 4) * torch.arange(3.0, dtype=x.dtype).unsqueeze(1)),
    "repeat": ([[2, 3]], "s", lambda x: x.repeat(2, 1, 2)),
    "narrow_chunk": ([[4, 6]], "s", lambda x: x.narrow(1, 1, 4).chunk(2, 1)[1]),
    "flatten_squeeze": ([[2, 1, 3, 2]], "s", lambda x: x.squeeze(1).flatten(1, 2)),
    "mse_loss": ([[4, 3], [4, 3]], "ss", F.mse_loss),
    "mse_loss_sum_transposed": ([[3, 4], [4, 3]], "ss", lambda a, b: F.mse_loss(a.t(), b, reduction='sum')),
    "cross_entropy": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS)),
    "nll_loss_sum": ([[6, 4]], "s", lambda x: F.nll_loss(torch.log_softmax(x, 1), LABELS, reduction='sum')),
    "binary_cross_entropy": ([[4, 3], [4, 3]], "qq", F.binary_cross_entropy),
    "bce_with_logits": ([[4, 3], [4, 3]], "sq", F.binary_cross_entropy_with_logits),
    "add_empty": ([[0, 4], [4]], "ss", lambda a, b: a + b),
    "sum_over_empty_dim": ([[0, 3]], "s", lambda x: x.sum(0)),
    "softmax_empty": ([[0, 3]], "s", lambda x: torch.softmax(x, 1)),
    "matmul_empty_inner": ([[3, 0], [0, 2]], "ss", torch.matmul),
    "log1p": ([[3, 4]], "p", lambda x: torch.log1p(x)),
    "sign": ([[3, 4]], "s", lambda x: torch.sign(x) * x),
    "sum_dims": ([[2, 3, 4]], "s", lambda x: x.sum(dim=[0, 2])),
    "sum_dims_keepdim": ([[2, 3, 4]], "s", lambda x: x.sum(dim=[1, -1], keepdim=True)),
    "mean_dims": ([[2, 3, 4]], "s", lambda x: x.mean(dim=[0, 1])),
    "prod_dim": ([[3, 4]], "s", lambda x: x.prod(dim=1)),
    "prod_all": ([[5]], "s", lambda x: x.prod()),
    "prod_with_zero": ([[2, 3]], "z", lambda x: x.prod(dim=1, keepdim=True)),
    "cumsum": ([[3, 4]], "s", lambda x: x.cumsum(dim=1)),
    "cumsum_transposed": ([[4, 3]], "s", lambda x: x.t().cumsum(dim=0)),
    "bmm": ([[2, 3, 4], [2, 4, 5]], "ss", lambda a, b: torch.bmm(a, b)),
    "matmul_batched": ([[2, 3, 4], [4, 5]], "ss", lambda a, b: torch.matmul(a, b)),
    "matmul_broadcast_batches": ([[2, 1, 3, 4], [3, 4, 2]], "ss", lambda a, b: torch.matmul(a, b)),
    "matmul_vector_batch": ([[4], [2, 4, 3]], "ss", lambda a, b: torch.matmul(a, b)),
    "matmul_batch_vector": ([[2, 3, 4], [4]], "ss", lambda a, b: torch.matmul(a, b)),
    "addmm": ([[5], [3, 4], [4, 5]], "sss", lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2.0)),
    "addmm_expanded": ([[1, 5], [3, 4], [5, 4]], "sss", lambda i, a, b: torch.addmm(i.expand(3, 5), a, b.t())),
    "l1_loss": ([[3, 4], [3, 4]], "ss", lambda x, y: F.l1_loss(x, y)),
    "l1_loss_none": ([[3, 4], [3, 4]], "ss", lambda x, y: F.l1_loss(x, y, reduction="none")),
    "smooth_l1_loss": ([[3, 4], [3, 4]], "ss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.7)),
    "smooth_l1_loss_sum": ([[3, 4], [3, 4]], "ss", lambda x, y: F.smooth_l1_loss(x, y, reduction="sum")),
    "huber_loss": ([[3, 4], [3, 4]], "ss", lambda x, y: F.huber_loss(x, y, delta=0.6)),
    "kl_div": ([[3, 4], [3, 4]], "sq", lambda x, y: F.kl_div(x, y, reduction="mean")),
    "kl_div_sum_log_target": ([[3, 4], [3, 4]], "ss", lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True)),
    # class losses with torch's options, on logits [6, 4] and the labels LABELS (one of them
    # -100 or 2 where that is the ignored label), class weights WEIGHTS
    "ce_weight": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS, weight=WEIGHTS.to(x.dtype))),
    "ce_ignore_index": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS_IGNORED, ignore_index=-100)),
    "ce_ignore_class_2_sum": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS, ignore_index=2, reduction="sum")),
    "ce_label_smoothing": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS, label_smoothing=0.2)),
    "ce_all_options": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS_IGNORED, weight=WEIGHTS.to(x.dtype),
                                                               label_smoothing=0.1)),
    "ce_smoothing_none": ([[6, 4]], "s", lambda x: F.cross_entropy(x, LABELS_IGNORED, label_smoothing=0.3,
                                                                  reduction="none")),
    "nll_weight_ignore": ([[6, 4]], "s", lambda x: F.nll_loss(torch.log_softmax(x, 1), LABELS_IGNORED,
                                                             weight=WEIGHTS.to(x.dtype))),
    # torch differentiates neither weight nor pos_weight: they are constants here
    "bce_logits_pos_weight": ([[4, 3], [4, 3]], "sq", lambda x, y: F.binary_cross_entropy_with_logits(
        x, y, pos_weight=POS_WEIGHT.to(x.dtype))),
    "bce_logits_weight_pos_weight_sum": ([[4, 3], [4, 3]], "sq", lambda x, y: F.binary_cross_entropy_with_logits(
        x, y, weight=BCE_WEIGHT.to(x.dtype), pos_weight=POS_WEIGHT.to(x.dtype), reduction="sum")),
    "kl_div_batchmean": ([[3, 4], [3, 4]], "sq", lambda x, y: F.kl_div(x, y, reduction="batchmean")),
    "scatter": ([[3, 5], [3, 2]], "ss", lambda x, s: x.scatter(1, SCATTER_INDEX, s)),
    "scatter_dim0": ([[4, 3], [2, 3]], "ss", lambda x, s: x.scatter(0, SCATTER_INDEX_DIM0, s)),
    "scatter_value": ([[3, 5]], "s", lambda x: x.scatter(1, SCATTER_INDEX, 2.5)),
    "scatter_add_repeated": ([[3, 5], [3, 2]], "ss", lambda x, s: x.scatter_add(1, SCATTER_INDEX_REPEATED, s)),
    "index_basic": ([[4, 5, 6]], "s", lambda x: x[1:, 0, ::2]),
    "index_ellipsis_none": ([[4, 5, 6]], "s", lambda x: x[..., None, -1]),
    "index_negative_slice": ([[4, 5, 6]], "s", lambda x: x[-3:-1, 1:100:3]),
    "index_int_tensor": ([[4, 5, 6]], "s", lambda x: x[:, PICK]),
    "index_mask": ([[4, 5, 6]], "s", lambda x: x[MASK]),
    "index_mask_later": ([[4, 5, 6]], "s", lambda x: x[1:3, ROW_MASK, 2]),
    "index_put_mask_value": ([[4, 5]], "s", index_put_mask),
    "inplace_through_select": ([[2, 3], [3]], "ss", through_select),
    "inplace_through_transpose_narrow": ([[3, 4], [2, 3]], "ss", through_transpose_narrow),
    "inplace_index_put_tensors": ([[3, 4], [3]], "ss", index_put_tensors),
    "inplace_copy_into_buffer": ([[4]], "s", copy_into_buffer),
    "inplace_stale_view": ([[3, 4]], "s", stale_view),
    "index_two_tensors": ([[4, 5, 6]], "s", lambda x: x[ROWS, COLS]),
    "index_tensors_apart": ([[4, 5, 6]], "s", lambda x: x[ROWS, :, COLS]),
    "index_tensors_apart_later": ([[3, 4, 5, 6]], "s", lambda x: x[:, ROWS, :, COLS]),
    "index_tensors_after_slice": ([[4, 5, 6]], "s", lambda x: x[1:3, COLS, ROWS]),
    "index_mask_and_tensor": ([[4, 5, 6]], "s", lambda x: x[FIRST_MASK, ::2, torch.tensor([5, 0, 1])]),
    "index_three_tensors_repeated": ([[4, 5, 6]], "s", lambda x: x[ROWS, COLS, torch.tensor([[1], [1]])]),
    "inplace_mul": ([[3, 4], [4]], "ss", in_place(lambda h, b: h.mul_(b))),
    "inplace_chain": ([[3, 4], [3, 4]], "sp", in_place(lambda h, b: h.add_(b, alpha=0.5).div_(b).clamp_(-1.0, 1.0))),
    "inplace_copy_broadcast": ([[3, 4], [4]], "ss", in_place(lambda h, b: h.copy_(b))),
    "inplace_masked_fill": ([[3, 4]], "s", lambda x: (x * 2.0).masked_fill_(x > 0, 0.5)),
    "inplace_scatter": ([[3, 5], [3, 2]], "ss", in_place(lambda h, s: h.scatter_(1, SCATTER_INDEX, s))),
    "sum_dims_empty": ([[0, 3]], "s", lambda x: x.sum(dim=[0])),
    "cumsum_empty": ([[0, 3]], "s", lambda x: x.cumsum(dim=0)),
}


def make_input(shape, kind, generator):
    x = torch.randn(shape, generator=generator, dtype=torch.float64)
    if kind == "p":
        x = x.abs() + 0.5
    elif kind == "q":
        x = torch.rand(shape, generator=generator, dtype=torch.float64) * 0.8 + 0.1
    elif kind == "z":  # one zero in the first row, two in the second
        x = torch.tensor([[0.5, 0.0, -1.5], [0.0, 0.75, 0.0]], dtype=torch.float64)
    elif kind == "s":
        x = x + x.sign() * 0.2  # away from 0 (sign, abs) and from each other
    return x


def flat(t):
    return t.detach().reshape(-1).tolist()


def run(name, shapes, kinds, f, dtype):
    generator = torch.Generator().manual_seed(sum(map(ord, name)))
    base = [make_input(s, k, generator) for s, k in zip(shapes, kinds)]
    inputs = [b.to(dtype).requires_grad_() for b in base]
    out = f(*inputs)
    weights = torch.randn(out.shape, generator=generator, dtype=torch.float64).to(dtype)
    if out.numel() and any(x.numel() for x in inputs):
        (out * weights).sum().backward()
    grads = [flat(x.grad) if x.grad is not None else [0.0] * x.numel() for x in inputs]
    return {"inputs": [{"shape": list(x.shape), "data": flat(x)} for x in inputs],
            "output": {"shape": list(out.shape), "data": flat(out)},
            "weights": flat(weights), "grads": grads}


def main():
    out = output_directory(__doc__)
    torch.set_num_threads(1)
    cases = []
    for name, (shapes, kinds, f) in CASES.items():
        case = {"name": name}
        for dtype, key in ((torch.float32, "float32"), (torch.float64, "float64")):
            case[key] = run(name, shapes, kinds, f, dtype)
        cases.append(case)
    write_fixture(out, "ops.json", "make_op_fixtures.py",
                  {"labels": LABELS.tolist(), "labels_ignored": LABELS_IGNORED.tolist(), "weights": WEIGHTS.tolist(),
                   "cases": cases})


if __name__ == "__main__":
    main()
