"""Uses an Engram node the way grpcurl and ghz do: nothing but the address and server reflection.

Lists the services, downloads each service's file descriptor and, by name, every file it depends on,
builds them into a descriptor pool (which fails on any unresolvable type, as grpcurl does), then calls a
method with messages built from the downloaded descriptors alone. Prints one JSON object.
"""
import argparse
import json
import os
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_tools import protoc


def message_class(pool, full_name):
    """The message class of a type in a pool (protobuf 4.21's API; GetMessageClass came later)."""
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(full_name))


def reflection_stub(channel, proto_dir):
    """A ServerReflectionInfo caller built from reflection.proto at run time (no generated modules: the
    generated package "grpc.reflection" would collide with grpcio's own "grpc")."""
    out = os.path.join(tempfile.mkdtemp(prefix="engram-refl-"), "reflection.pb")
    if protoc.main(["protoc", f"-I{proto_dir}", f"--descriptor_set_out={out}", "grpc/reflection/v1/reflection.proto"]) != 0:
        raise SystemExit("protoc failed on reflection.proto")
    fds = descriptor_pb2.FileDescriptorSet.FromString(open(out, "rb").read())
    local = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        local.Add(fd)
    request_cls = message_class(local, "grpc.reflection.v1.ServerReflectionRequest")
    response_cls = message_class(local, "grpc.reflection.v1.ServerReflectionResponse")
    info = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_cls.FromString,
    )

    def ask(**request):
        response = list(info(iter([request_cls(**request)]), timeout=10))[0]
        if response.HasField("error_response"):
            raise LookupError(response.error_response.error_message)
        return response

    return ask


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--reflection-proto-dir", required=True)
    parser.add_argument("--call", default="")
    args = parser.parse_args()

    seen = {}
    with grpc.insecure_channel(args.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        ask = reflection_stub(channel, args.reflection_proto_dir)
        services = [s.name for s in ask(list_services="").list_services_response.service]
        seen["services"] = services

        files = {}

        def fetch(response):
            for raw in response.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files.setdefault(fd.name, fd)

        for service in services:
            fetch(ask(file_containing_symbol=service))
        missing = [d for fd in list(files.values()) for d in fd.dependency if d not in files]
        while missing:
            fetch(ask(file_by_filename=missing.pop()))
            missing = [d for fd in list(files.values()) for d in fd.dependency if d not in files]

        pool = descriptor_pool.DescriptorPool()
        added = set()

        def add(name):
            if name in added:
                return
            for dep in files[name].dependency:
                add(dep)
            pool.Add(files[name])
            added.add(name)

        for name in files:
            add(name)
        methods = {}
        for service in services:
            sd = pool.FindServiceByName(service)
            for m in sd.methods:
                methods[f"{service}/{m.name}"] = [m.input_type.full_name, m.output_type.full_name]
        seen["files"] = sorted(files)
        seen["methods"] = len(methods)

        if args.call:
            # e.g. engram.v1.MemoryService/Remember={"memory":{"subject":"x","content":"y"}}
            target, body = args.call.split("=", 1)
            input_name, output_name = methods[target]
            request_cls = message_class(pool, input_name)
            response_cls = message_class(pool, output_name)
            call = channel.unary_unary(
                "/" + target, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_cls.FromString
            )
            response = call(json_format.Parse(body, request_cls()), timeout=10)
            seen["response"] = json_format.MessageToDict(response)

    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
