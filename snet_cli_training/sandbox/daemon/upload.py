"""training.Daemon's upload_and_validate: a paid stream whose every chunk is authorized like the daemon's.

Releases with a pre-reading stream interceptor (releases.py) take the first message before the
payment headers are read: v6.0 with dynamic pricing and v6.1 then drop it and commit the payment
for the rest; v6.2 fails the handler's first read and rolls the payment back.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.auth import AuthFailure, check_authorization
from snet_cli_training.sandbox.daemon.handler_base import (
    ACCESS, NO_AUTH, TRAINING_DISABLED, UNAVAILABLE, UPLOAD_PRE_READ_BUG, Failure, HandlerBase, RpcCall,
)


class UploadReceiver(HandlerBase):
    """upload_and_validate: paid once for the stream, each chunk authorized and counted, the bytes hashed."""

    def _per_chunk(self) -> None:
        """The per-chunk upload faults: wait, and let the chain move on."""
        seconds, blocks = self.faults.per_chunk()
        if seconds:
            time.sleep(seconds)
        if blocks:
            self.chain.request("evm_mine", [blocks])

    def _upload(self, requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        release = self.behaviour.release
        with RpcCall(context) as call:
            self._faults("upload_and_validate")
            if release.pre_reads and next(requests, None) is None:
                raise Failure("EOF")  # the interceptor's pre-read met the end of the stream
            call.transaction = self._begin_payment(
                context, "escrow", ("escrow", "train-call"),
                self._training_price("validate", "internal error: no training model found", "upload_and_validate"))
            if not self.config.training_enabled:
                raise Failure(TRAINING_DISABLED)
            if release.pre_reads and not release.drops_first:
                raise Failure(UPLOAD_PRE_READ_BUG)
            sink = self.provider.upload()
            try:
                model_id = self._receive_upload(requests, self.faults.take_drop_after(), sink)
                if not model_id:
                    raise self._hazard("upload_and_validate", "a paid upload whose handler received no message",
                                       Failure("invalid request: the upload stream carried no message"))
            except BaseException:
                sink.abort()
                raise
            status = sink.finish(model_id)
            record = self.store.get(model_id)
            with self.store.lock:
                record.status = status
            call.transaction.commit(f"{protocol.DAEMON_SERVICE}/upload_and_validate",
                                    call.transaction.payment.model_id or "")
            self._after_commit("upload_and_validate")
            return self.m.StatusResponse(status=status)

    def _receive_upload(self, requests: Iterator[Any], drop_after: int | None, sink: Any) -> str:
        """Check every chunk like the daemon and pass it to the provider's `sink`; keep a digest and per-chunk facts."""
        digest, size, chunks, upload, model_id = hashlib.sha256(), 0, [], None, ""
        for request in requests:
            if not request.HasField("authorization"):
                raise Failure(NO_AUTH)
            if not request.HasField("upload_input"):
                raise self._hazard("upload_and_validate", "an upload message with upload_input unset",
                                   Failure("invalid request: no upload input provided"))
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
            sink.send(chunk)
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
