"""Secure aggregation of counts with Flower's SecAgg+ (legacy workflow API): the hub learns the
network total of every cell and nothing of any one site's counts.

Each site computes its exact count grid through its checkpoint and hands it to Flower's
``secaggplus_mod``, which masks it (pairwise masks agreed with the other sites, plus a private
mask whose seed is secret-shared); the hub's ``SecAggPlusWorkflow`` adds the masked vectors, and
the masks cancel only in the sum. So the sites send exact counts — no per-site suppression or
rounding — and the hub's release desk applies the *same* rules to the total as a central node
to its pooled count: the federated table equals the central one, cell for cell.

SecAgg+ computes a weighted mean of real vectors with quantisation; a count is sent with weight
1 as ``count / SCALE`` (so every cell of up to ``SCALE`` persons lies within the clipping range),
and the hub multiplies the mean by the number of contributing sites and rounds. With
``QUANTIZATION`` levels each site's cell is off by at most one level, ``2 * SCALE /
QUANTIZATION`` = 0.0078 persons, so the rounded sum is exact for up to ``MAX_SITES`` sites
(``MODULUS / QUANTIZATION``, the bound SecAgg+ itself sets).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from flwr.app import Context, Message
    from flwr.clientapp import ClientApp
    from flwr.serverapp import Grid

SCALE = 2**20  # the largest cell a site may hold (persons)
QUANTIZATION = 2**28
MODULUS = 2**32
MAX_SITES = MODULUS // QUANTIZATION  # 16
MIN_SITES = 2  # below this, a "total" is one site's count: refused by the hub


class FastGrid:
    """The ServerApp's grid, pulling replies every ``poll`` seconds (Flower's loop sleeps 3 s
    between two pulls; SecAgg+ makes four exchanges)."""

    def __init__(self, grid: Grid, poll: float) -> None:
        self._grid, self._poll = grid, poll
        self.masked: list[list[int]] = []  # every vector a site sent: masked (the hub's record)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._grid, name)

    def send_and_receive(self, messages: Iterable[Message], *,
                         timeout: float | None = None) -> list[Message]:  # fmt: skip
        waiting = set(self._grid.push_messages(messages))
        deadline = time.monotonic() + (timeout if timeout is not None else 3600.0)
        replies: list[Message] = []
        while waiting and time.monotonic() < deadline:
            for reply in self._grid.pull_messages(waiting):
                waiting.discard(reply.metadata.reply_to_message_id)
                replies.append(reply)
                self._keep_masked(reply)
            if waiting:
                time.sleep(self._poll)
        return replies

    def _keep_masked(self, reply: Message) -> None:
        from flwr.common import bytes_to_ndarray
        from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS, Key

        if reply.has_error() or RECORD_KEY_CONFIGS not in reply.content.config_records:
            return
        record = reply.content.config_records[RECORD_KEY_CONFIGS]
        if Key.MASKED_PARAMETERS in record:
            parts = cast(list[bytes], record[Key.MASKED_PARAMETERS])
            vectors = [bytes_to_ndarray(b) for b in parts]
            self.masked.append([int(v) for v in vectors[-1].ravel()])


def secure_sum(grid: Grid, context: Context, config: dict[str, Any], *, sites: int,
               timeout: float, poll: float) -> tuple[list[int], int, list[list[int]]]:  # fmt: skip
    """Run one SecAgg+ round over the connected sites: the summed vector, how many sites it sums
    and every (masked) vector the hub received. ``config`` reaches each site's ``fit``."""
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.compat.common import recorddict_compat as compat
    from flwr.server import LegacyContext, ServerConfig
    from flwr.server.strategy import FedAvg
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

    contributors: list[int] = []

    class Summing(FedAvg):
        def aggregate_fit(self, server_round: int, results: Any, failures: Any) -> Any:
            contributors.append(len(results))
            return super().aggregate_fit(server_round, results, failures)

    strategy = Summing(
        fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=sites, min_evaluate_clients=0,
        min_available_clients=sites, on_fit_config_fn=lambda _round: dict(config),
        initial_parameters=ndarrays_to_parameters([np.zeros(1)]),  # unused: no model
    )  # fmt: skip
    legacy = LegacyContext(context=context, config=ServerConfig(num_rounds=1), strategy=strategy)
    workflow = DefaultWorkflow(fit_workflow=SecAggPlusWorkflow(
        num_shares=1.0, reconstruction_threshold=MIN_SITES, max_weight=1.0,
        clipping_range=1.0, quantization_range=QUANTIZATION, modulus_range=MODULUS,
        timeout=timeout,
    ))  # fmt: skip
    fast = FastGrid(grid, poll)
    workflow(fast, legacy)  # type: ignore[arg-type]
    if not contributors or contributors[0] < MIN_SITES:
        return [], contributors[0] if contributors else 0, fast.masked
    record = legacy.state.array_records["parameters"]
    [mean] = parameters_to_ndarrays(compat.arrayrecord_to_parameters(record, keep_input=True))
    total = np.rint(np.asarray(mean) * contributors[0] * SCALE).astype(int)
    return [int(v) for v in total], contributors[0], fast.masked


def site_app() -> ClientApp:
    """The sites' SecAgg+ ClientApp: a legacy client whose ``fit`` counts through the site's
    checkpoint, wrapped by Flower's ``secaggplus_mod`` (which masks what ``fit`` returns)."""
    from flwr.client import NumPyClient
    from flwr.client.mod import secaggplus_mod
    from flwr.clientapp import ClientApp

    def client_fn(context: Context) -> Any:
        home, site = context.node_config["socle-home"], context.node_config["site"]

        class Counting(NumPyClient):
            def fit(self, parameters: Any, config: dict[str, Any]) -> Any:
                from socle.federation.client import secure_counts

                cells = secure_counts(str(home), str(site), dict(config))
                return [np.asarray(cells, dtype=float) / SCALE], 1, {}

        return Counting().to_client()

    return ClientApp(client_fn=client_fn, mods=[secaggplus_mod])
