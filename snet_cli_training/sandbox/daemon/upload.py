"""training.Daemon's upload_and_validate: a paid stream whose every chunk is authorized like the daemon's."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.auth import AuthFailure, check_authorization
from snet_cli_training.sandbox.daemon.handler_base import (
    ACCESS, NO_AUTH, TRAINING_DISABLED, UNAVAILABLE, Failure, HandlerBase, RpcCall,
)
from snet_cli_training.sandbox.daemon.provider import VALIDATING


class UploadReceiver(HandlerBase):
    """upload_and_validate: paid once for the stream, each chunk authorized and counted, the bytes hashed."""

    def _per_chunk(self) -> None:
        """The per-chunk upload faults: wait, and let the chain move on."""
        seconds, blocks = self.faults.per_chunk()
        if seconds:
            time.sleep(seconds)
        if blocks:
            self.chain.web3.provider.make_request("evm_mine", [blocks])

    def _upload(self, requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        with RpcCall(context) as call:
            self._faults("upload_and_validate")
            call.transaction = self._begin_payment(
                context, "escrow", ("escrow", "train-call"),
                self._training_price("validate", "internal error: no training model found"))
            if not self.config.training_enabled:
                raise Failure(TRAINING_DISABLED)
            model_id = self._receive_upload(requests, self.faults.take_drop_after())
            status = self.provider.start_validation(model_id) if model_id else VALIDATING
            record = self.store.get(model_id)
            if record is not None:
                with self.store.lock:
                    record.status = status
            call.transaction.commit(f"{protocol.DAEMON_SERVICE}/upload_and_validate",
                                    call.transaction.payment.model_id or "")
            self._after_commit("upload_and_validate")
            return self.m.StatusResponse(status=status)

    def _receive_upload(self, requests: Iterator[Any], drop_after: int | None) -> str:
        """Check every chunk like the daemon; keep a digest and per-chunk facts, not the bytes."""
        digest, size, chunks, upload, model_id = hashlib.sha256(), 0, [], None, ""
        for request in requests:
            if not request.HasField("authorization"):
                raise Failure(NO_AUTH)
            latest = self.chain.latest_block()
            try:
                check_authorization(request.authorization, "upload_and_validate", lambda block=latest: block)
            except AuthFailure as exc:
                raise Failure(f"{NO_AUTH}: {exc}") from None
            chunk = request.upload_input
            record = self._owned(chunk.model_id, request.authorization.signer_address, f"{ACCESS}: ")
            model_id = chunk.model_id
            if upload is None:
                upload = {"file_name": chunk.file_name, "file_size": chunk.file_size, "batch_size": chunk.batch_size,
                          "batch_count": chunk.batch_count, "complete": False, "chunks": chunks}
                with self.store.lock:
                    record.uploads.append(upload)
            digest.update(chunk.data)
            size += len(chunk.data)
            chunks.append({"batch_number": chunk.batch_number, "size": len(chunk.data),
                           "auth_block": request.authorization.current_block, "latest_block": latest})
            upload.update(sha256=digest.hexdigest(), size=size)
            if drop_after is not None and len(chunks) >= drop_after:
                raise Failure(UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)
            self._per_chunk()
        if upload is not None:
            upload["complete"] = True
        return model_id
