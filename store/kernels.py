"""Kernels of the answering hot path (the BM25 top, entity context rows, row-list unions, text search): plain
Python until compiled by numba."""

from __future__ import annotations

import logging
import threading
import types
from collections.abc import Callable
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

# A kernel runs as the plain Python of its own source until the kernels are compiled: importing numba and loading
# its cached machine code cost ≈ 0.4 s of a cold `python -m bot ask`, more than a small index's questions ever save.
# prepare() compiles them (a long-running bot), and so does a question to an index of this many sentences or more
# (a one-shot ask of an archive): plain Python takes milliseconds a question from about there on.
COMPILE_FROM_ROWS = 5_000
# …and a call handed an array this long, whoever makes it (plain Python would take a second or more).
COMPILE_FROM_ELEMENTS = 1_000_000

# How many postings ahead the BM25 top asks the CPU to fetch a row's table entry. The 10k table (18.5 MB) is far
# larger than the caches, so each posting waits on memory; fetching ahead overlaps those waits (the kernel took
# 36 % less time over the gold questions at 10k). Too short a distance hides less of the wait; too long a one
# fetches entries that are evicted again before their turn.
PREFETCH_AHEAD = 64


class Kernel:
    """A hot-path function: its plain Python until compile_now(), then numba's machine code of the same source."""

    __slots__ = ("fast", "plain")

    def __init__(self, plain: Callable[..., Any]) -> None:
        self.plain = plain
        self.fast: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        fast = self.fast
        if fast is None:
            if not any(isinstance(a, np.ndarray) and a.size > COMPILE_FROM_ELEMENTS for a in args):
                return self.plain(*args)
            compile_now()
            fast = self.fast
            assert fast is not None
        return fast(*args)


class StandIn:
    """A name kernels call whose compiled form is not a kernel (a numba intrinsic): a plain function until then."""

    __slots__ = ("_compiled", "make", "plain")

    def __init__(self, plain: Callable[..., Any], make: Callable[[], Any]) -> None:
        self.plain = plain
        self.make = make  # builds the compiled form (imports numba)
        self._compiled: Any = None

    def __call__(self, *args: Any) -> Any:
        return self.plain(*args)

    def compiled(self) -> Any:
        """The compiled form, built once."""
        if self._compiled is None:
            self._compiled = self.make()
        return self._compiled


_KERNELS: list[Kernel] = []
_WARM_UPS: list[Callable[[], None]] = []  # per module: calls its kernels once (see compile_now)
_compile_lock = threading.Lock()


def compiled(func: Callable[..., Any]) -> Any:
    """Make `func` a kernel (see Kernel): its name, in its module, calls the plain or the compiled form."""
    kernel = Kernel(func)
    _KERNELS.append(kernel)
    return kernel


def warm_up(func: Callable[[], None]) -> Callable[[], None]:
    """Register a function that calls a module's kernels once, so that compile_now() loads them all up front."""
    _WARM_UPS.append(func)
    return func


def _jit(func: Callable[..., Any], scope: dict[str, Any]) -> Any:
    """numba's njit (no GIL held), cached on disk, of a copy of `func` that reads its globals from `scope`;
    uncached where numba finds no writable directory for it."""
    from numba import njit

    copy = types.FunctionType(func.__code__, scope, func.__name__, func.__defaults__, func.__closure__)
    copy.__qualname__, copy.__module__, copy.__doc__ = func.__qualname__, func.__module__, func.__doc__
    try:
        return njit(cache=True, nogil=True)(copy)
    except RuntimeError as error:  # "cannot cache function …: no locator available": compile at each start instead
        logger.warning("numba cannot cache %s (%s): compiling it at each start", func.__name__, error)
        return njit(nogil=True)(copy)


def compile_for(rows: int) -> None:
    """Compile the kernels (compile_now) if an index of `rows` sentences is worth it (COMPILE_FROM_ROWS)."""
    if rows >= COMPILE_FROM_ROWS and not _compiled_all():
        compile_now()


def _compiled_all() -> bool:
    return all(k.fast is not None for k in _KERNELS)


def compile_now() -> None:
    """Compile every kernel (or load it from numba's on-disk cache): from then on their calls run machine code."""
    with _compile_lock:
        waiting = [k for k in _KERNELS if k.fast is None]
        if not waiting:
            return
        # A compiled kernel reads, where the plain one reads a Kernel or a StandIn, its compiled form: each module's
        # kernels share a copy of its globals, completed before numba reads it (at a kernel's first call).
        scopes = {k.plain.__module__: dict(k.plain.__globals__) for k in waiting}
        functions = {id(k): _jit(k.plain, scopes[k.plain.__module__]) for k in waiting}
        for scope in scopes.values():
            for name, value in list(scope.items()):
                if isinstance(value, Kernel):
                    scope[name] = functions.get(id(value), value.fast)
                elif isinstance(value, StandIn):
                    scope[name] = value.compiled()
        for kernel in waiting:
            kernel.fast = functions[id(kernel)]
        for load in _WARM_UPS:
            load()


def _prefetch_plain(array: np.ndarray, index: int) -> None:
    """Plain Python has no cache hint: nothing to do."""


def _prefetch_intrinsic() -> Any:
    """LLVM's prefetch as a numba intrinsic: hint the CPU to bring array[index] into its caches (no effect on results)."""
    from llvmlite import ir
    from numba import types as numba_types
    from numba.core import cgutils
    from numba.extending import intrinsic

    def typed(typingctx: Any, array: Any, index: Any) -> Any:
        signature = numba_types.void(array, index)

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            array_type = sig.args[0]
            view = context.make_array(array_type)(context, builder, args[0])
            item = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]], wraparound=False)
            byte_pointer = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            function = builder.module.declare_intrinsic(
                "llvm.prefetch", [byte_pointer], ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
            )
            # for writing (1), keep in all cache levels (3), data (1)
            builder.call(function, [builder.bitcast(item, byte_pointer), ir.Constant(i32, 1), ir.Constant(i32, 3),
                                    ir.Constant(i32, 1)])
            return context.get_dummy_value()

        return signature, codegen

    return intrinsic(typed)


_prefetch = StandIn(_prefetch_plain, _prefetch_intrinsic)


# How many rows ahead documents_mentioning() asks for a row's document (the rows of a common name are far apart in
# a 4.6 MB array at 10k): fetching ahead overlaps the waits on memory (≈20 % less time on 8–12k rows).
MENTION_PREFETCH_AHEAD = 16

# What the kernel reads and writes of one row, side by side: one memory access per posting instead of one per array
# (the 10k archive's arrays are far larger than the CPU caches; the table costs 16 bytes a row).
ROW_FIELDS = np.dtype(
    [("norm", np.float32), ("boost", np.float32), ("score", np.float32), ("document", np.int32)], align=True
)


def row_table(norm: np.ndarray, boost: np.ndarray, doc_of_row: np.ndarray) -> np.ndarray:
    """The kernel's per-row table: BM25 tf=1 weight, fact boost, a zeroed score slot, document id."""
    table = np.zeros(len(norm), dtype=ROW_FIELDS)
    table["norm"], table["boost"], table["document"] = norm, boost, doc_of_row
    return table


@compiled
def _worse(value_a: float, row_a: int, value_b: float, row_b: int) -> bool:
    """Whether (value_a, row_a) ranks below (value_b, row_b): a lower score, or the same score on a later row."""
    return bool(value_a < value_b or (value_a == value_b and row_a > row_b))


@compiled
def _swap(heap_values: np.ndarray, heap_rows: np.ndarray, i: int, j: int) -> None:
    """Exchange two heap entries."""
    heap_values[i], heap_values[j] = heap_values[j], heap_values[i]
    heap_rows[i], heap_rows[j] = heap_rows[j], heap_rows[i]


@compiled
def _sift_down(heap_values: np.ndarray, heap_rows: np.ndarray, size: int) -> None:
    """Restore the heap (its worst entry at the root) after the root was replaced."""
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            return
        right = child + 1
        if right < size and _worse(heap_values[right], heap_rows[right], heap_values[child], heap_rows[child]):
            child = right
        if not _worse(heap_values[child], heap_rows[child], heap_values[i], heap_rows[i]):
            return
        _swap(heap_values, heap_rows, i, child)
        i = child


@compiled
def _sift_up(heap_values: np.ndarray, heap_rows: np.ndarray, i: int) -> None:
    """Restore the heap after an entry was appended at `i`."""
    while i > 0:
        parent = (i - 1) >> 1
        if not _worse(heap_values[i], heap_rows[i], heap_values[parent], heap_rows[parent]):
            return
        _swap(heap_values, heap_rows, i, parent)
        i = parent


@compiled
def top_rows(
    postings: np.ndarray,  # int32: every part's rows, part after part (each part sorted and unique)
    offsets: np.ndarray,  # int64: part p's rows are postings[offsets[p]:offsets[p + 1]]
    weights: np.ndarray,  # float32 per part, all positive
    table: np.ndarray,  # ROW_FIELDS per row, every score zero; left so
    bonus_documents: np.ndarray,  # bool [bonus, document id]: the documents each bonus goes to
    bonus_values: np.ndarray,  # float32 per bonus
    limit: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The best `limit` rows by score, best first (ties to the earlier row), and their scores.

    A row's score is, in float32, the sum in part order of norm × weight over the parts holding it, plus each
    bonus whose documents hold it, times its boost: the same operations in the same order as numpy's
    `scores[rows] += norm[rows] * weight` part after part, so the same values.
    """
    n = len(postings)
    for part in range(len(offsets) - 1):
        weight = weights[part]
        for j in range(offsets[part], offsets[part + 1]):
            if j + PREFETCH_AHEAD < n:
                _prefetch(table, postings[j + PREFETCH_AHEAD])
            entry = table[postings[j]]
            entry["score"] += entry["norm"] * weight
    heap_values = np.empty(limit, np.float32)
    heap_rows = np.empty(limit, np.int64)
    size = 0
    for j in range(n):
        if j + PREFETCH_AHEAD < n:
            _prefetch(table, postings[j + PREFETCH_AHEAD])
        row = postings[j]
        entry = table[row]
        score = entry["score"]
        if score == 0:
            continue  # seen already (every score is positive)
        entry["score"] = 0
        document = entry["document"]
        for bonus in range(len(bonus_values)):
            # × 1 or × 0 instead of a branch: a branch on the document mispredicts and stalls on memory; adding
            # a zero leaves a positive float32 unchanged, so the value is the same
            score += bonus_values[bonus] * np.float32(bonus_documents[bonus, document])
        value = score * entry["boost"]
        if size < limit:
            heap_values[size] = value
            heap_rows[size] = row
            _sift_up(heap_values, heap_rows, size)
            size += 1
        elif _worse(heap_values[0], heap_rows[0], value, row):
            heap_values[0] = value
            heap_rows[0] = row
            _sift_down(heap_values, heap_rows, size)
    rows = heap_rows[:size]
    values = heap_values[:size]
    by_row = np.argsort(rows)
    rows, values = rows[by_row], values[by_row]
    best = np.argsort(-values, kind="mergesort")  # stable: equal scores stay in row order
    return rows[best].astype(np.int32), values[best]


# The most sentences after a row that following_bits() records (one bit each).
FOLLOWING_STEPS_MAX = 8


def following_bits(doc_of_row: np.ndarray, para_of_row: np.ndarray) -> np.ndarray:
    """Per row (uint8), bit s - 1 set when the row s sentences later is in the same document and paragraph (numpy:
    a few milliseconds at 10k, no compilation needed)."""
    size = len(doc_of_row)
    out = np.zeros(size, np.uint8)
    for step in range(1, min(FOLLOWING_STEPS_MAX, size - 1) + 1):
        same = (doc_of_row[step:] == doc_of_row[:-step]) & (para_of_row[step:] == para_of_row[:-step])
        out[:-step] |= same.astype(np.uint8) << np.uint8(step - 1)
    return out


@compiled
def following_rows(rows: np.ndarray, bits: np.ndarray, steps: int) -> np.ndarray:
    """The rows 1 to `steps` (at most FOLLOWING_STEPS_MAX) sentences after sorted `rows` in the same paragraph, sorted
    and unique (int32), read from following_bits(): one byte per row instead of two int32 arrays read twice."""
    out = np.empty(len(rows) * steps, np.int32)
    size, last = 0, -1
    for i in range(len(rows)):
        row = rows[i]
        row_bits = bits[row]
        for step in range(1, steps + 1):
            after = row + step
            # Rows ascend, so the rows found ascend too; one found already (after > last fails) is skipped.
            # Written without a branch: whether a row follows in its paragraph is not predictable.
            found = (after > last) & ((row_bits >> (step - 1)) & 1 == 1)
            out[size] = after
            size += found
            last = after if found else last
    return out[:size]


@compiled
def documents_mentioning(
    rows: np.ndarray, doc_of_row: np.ndarray, min_mentions: int, lead_rows: int, max_lead_documents: int
) -> np.ndarray:
    """Documents (sorted) holding at least `min_mentions` of sorted `rows`, or one of them among their first
    `lead_rows` rows when the rows lie in at most `max_lead_documents` documents."""
    documents = np.empty(len(rows), np.int32)
    first_rows = np.empty(len(rows), np.int64)
    counts = np.empty(len(rows), np.int64)
    size = 0
    count = len(rows)
    for i in range(count):  # rows are stored in document order: each document's rows are one run
        if i + MENTION_PREFETCH_AHEAD < count:
            _prefetch(doc_of_row, rows[i + MENTION_PREFETCH_AHEAD])
        document = doc_of_row[rows[i]]
        if size and documents[size - 1] == document:
            counts[size - 1] += 1
        else:
            documents[size], first_rows[size], counts[size] = document, rows[i], 1
            size += 1
    out = np.empty(size, np.int32)
    kept = 0
    for i in range(size):
        keep = counts[i] >= min_mentions
        if not keep and size <= max_lead_documents:
            keep = first_rows[i] - np.searchsorted(doc_of_row, documents[i]) < lead_rows
        if keep:
            out[kept] = documents[i]
            kept += 1
    return out[:kept]


@compiled
def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The union of two sorted, unique int32 arrays, sorted (one merge pass)."""
    out = np.empty(len(a) + len(b), np.int32)
    i = j = size = 0
    while i < len(a) and j < len(b):
        if a[i] < b[j]:
            out[size] = a[i]
            i += 1
        elif b[j] < a[i]:
            out[size] = b[j]
            j += 1
        else:
            out[size] = a[i]
            i += 1
            j += 1
        size += 1
    for k in range(i, len(a)):
        out[size] = a[k]
        size += 1
    for k in range(j, len(b)):
        out[size] = b[k]
        size += 1
    return out[:size]


def union_sorted(parts: list[np.ndarray]) -> np.ndarray:
    """The union of sorted, unique integer arrays, sorted (int32): merged two by two, shortest first."""
    merged = sorted((p.astype(np.int32, copy=False) for p in parts if len(p)), key=len)
    if not merged:
        return np.empty(0, dtype=np.int32)
    while len(merged) > 1:
        merged = sorted([_merge_sorted(merged[0], merged[1]), *merged[2:]], key=len)
    return merged[0]


@compiled
def pair_find(keys: np.ndarray, offsets: np.ndarray, positions: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Start positions (ascending, int64) where `codes` (2 or more) occur, from the positions of their character
    pairs (store.index.CharGrams): the rarest pair's starts, kept where every other pair follows at its offset."""
    pairs = len(codes) - 1
    lo = np.empty(pairs, np.int64)
    hi = np.empty(pairs, np.int64)
    for j in range(pairs):
        key = np.uint32((np.uint32(codes[j]) << np.uint32(16)) | np.uint32(codes[j + 1]))
        at = np.searchsorted(keys, key)
        if at >= len(keys) or keys[at] != key:
            return np.empty(0, np.int64)  # a pair the text never has
        lo[j], hi[j] = offsets[at], offsets[at + 1]
    order = np.argsort(hi - lo)  # the rarest pair first, so the fewest starts are tried
    rarest = order[0]
    out = np.empty(hi[rarest] - lo[rarest], np.int64)
    size = 0
    for k in range(lo[rarest], hi[rarest]):
        start = np.int64(positions[k]) - rarest
        if start < 0:
            continue
        found = True
        for t in range(1, pairs):
            j = order[t]
            want = start + j
            a, b = lo[j], hi[j]
            while a < b:  # binary search of `want` among pair j's positions
                middle = (a + b) >> 1
                if positions[middle] < want:
                    a = middle + 1
                else:
                    b = middle
            if a == hi[j] or positions[a] != want:
                found = False
                break
        if found:
            out[size] = start
            size += 1
    return out[:size]


@warm_up
def _load_kernels() -> None:
    """Call each kernel of this module once with the array types of an index: numba compiles (or loads) it now."""
    one_row = np.zeros(1, dtype=np.int32)
    table = row_table(np.ones(1, dtype=np.float32), np.ones(1, dtype=np.float32), one_row)
    top_rows(one_row, np.array([0, 1], dtype=np.int64), np.ones(1, dtype=np.float32), table,
             np.zeros((1, 1), dtype=np.bool_), np.ones(1, dtype=np.float32), 1)
    following_rows(one_row, following_bits(one_row, one_row), 1)
    documents_mentioning(one_row, one_row, 1, 1, 1)
    _merge_sorted(one_row, one_row)
    pair_find(np.zeros(1, dtype=np.uint32), np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.uint32),
              np.zeros(2, dtype=np.uint16))
