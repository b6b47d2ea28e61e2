"""Drives an Engram gateway from Python with nothing but the address and proto/.

Compiles proto/ with grpc_tools (Debian's python3-grpc-tools) into a temporary directory, then remembers,
recalls, queries and forgets through engram.v1.MemoryService. Prints one JSON object with what it saw;
exits non-zero on the first unexpected answer.
"""
import argparse
import importlib
import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc


def compile_protos(proto_dir: str, out_dir: str) -> None:
    files = ["engram/v1/memory.proto", "engram/v1/admin.proto"]
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *files])
    if rc != 0:
        raise SystemExit(f"protoc failed with {rc}")
    for package in ("engram", os.path.join("engram", "v1")):
        open(os.path.join(out_dir, package, "__init__.py"), "a").close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--proto-dir", required=True)
    args = parser.parse_args()

    out_dir = tempfile.mkdtemp(prefix="engram-py-")
    compile_protos(args.proto_dir, out_dir)
    sys.path.insert(0, out_dir)
    pb = importlib.import_module("engram.v1.memory_pb2")
    rpc = importlib.import_module("engram.v1.memory_pb2_grpc")

    seen = {}
    with grpc.insecure_channel(args.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = rpc.MemoryServiceStub(channel)

        written = stub.Remember(
            pb.RememberRequest(
                memory=pb.MemoryInput(subject="py-user", kind="note", content="Python says the kettle is boiling", importance=0.8, tags=["kitchen"])
            ),
            timeout=10,
        )
        seen["remembered"] = written.id
        seen["layer"] = pb.Layer.Name(written.layer)

        recalled = stub.Recall(pb.RecallRequest(subject="py-user", id=written.id), timeout=10).memory
        if recalled.content != "Python says the kettle is boiling" or list(recalled.tags) != ["kitchen"]:
            raise SystemExit(f"unexpected recall: {recalled}")
        seen["recalled_importance"] = round(recalled.importance, 3)

        found = stub.Query(pb.QueryRequest(subject="py-user", text="kettle", skip_reinforce=True), timeout=10)
        seen["query_ids"] = [r.memory.id for r in found.results]
        tenant_wide = stub.Query(pb.QueryRequest(text="kettle boiling", skip_reinforce=True), timeout=10)
        seen["tenant_wide_ids"] = [r.memory.id for r in tenant_wide.results]

        try:
            stub.Remember(pb.RememberRequest(memory=pb.MemoryInput(subject="", content="x")), timeout=10)
            raise SystemExit("an empty subject was accepted")
        except grpc.RpcError as err:
            seen["bad_input"] = [err.code().name, err.details()]

        seen["forgot"] = stub.Forget(pb.ForgetRequest(subject="py-user", id=written.id), timeout=10).existed
        try:
            stub.Recall(pb.RecallRequest(subject="py-user", id=written.id), timeout=10)
            raise SystemExit("a forgotten memory was recalled")
        except grpc.RpcError as err:
            seen["after_forget"] = err.code().name

    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
