#!/usr/bin/python3
"""A command-line client of Fleet's gRPC API on Debian's python3-grpcio, in the manner of grpcurl.

    /usr/bin/python3 fleet_client.py [--address 127.0.0.1:5081] [--token T] [--deadline S] [--max-messages N] \
        METHOD ['JSON request']

METHOD is a method of fleet.v1.Fleet (Apply, Get, List, Delete, Reconcile, Suspend, Resume, Register, Watch,
WatchEvents) with the proto3 JSON of its request, or one of:
    list-services        the services the server offers, from server reflection (grpc.reflection.v1alpha)
    describe SYMBOL      a service's methods, from the file descriptors reflection returns
    health [SERVICE]     grpc.health.v1 Check

Answers print as one JSON line each (a stream: one line per message, stopping after --max-messages). A failure
prints {"error": {code, codeName, message, fieldViolations}} and exits with 2; the field violations are read from
the google.rpc.BadRequest in the grpc-status-details-bin trailer.

The stubs are generated at start with Debian's protoc and grpc_python_plugin (protobuf-compiler,
protobuf-compiler-grpc, libprotobuf-dev for the well-known types, grpc-proto for reflection and health).
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GRPC_PROTO = "/usr/share/grpc-proto/grpc"


def generate(proto_dir, out):
    """Compiles fleet.proto, the google.rpc status schema, reflection and health into out (python modules)."""
    jobs = [
        ([proto_dir, "/usr/include"], ["fleet/v1/fleet.proto"], True),
        ([HERE, "/usr/include"], ["rpc_status.proto"], False),
        ([os.path.join(GRPC_PROTO, "reflection/v1alpha")], ["reflection.proto"], True),
        ([os.path.join(GRPC_PROTO, "health/v1")], ["health.proto"], True),
    ]
    for includes, files, services in jobs:
        cmd = ["protoc"] + ["-I" + i for i in includes] + ["--python_out=" + out]
        if services:
            cmd += ["--grpc_python_out=" + out, "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        subprocess.run(cmd + files, check=True)
    sys.path.insert(0, out)


def error_json(err, rpc_status_pb2):
    import grpc

    error = {"code": err.code().value[0], "codeName": err.code().name, "message": err.details()}
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = rpc_status_pb2.Status.FromString(value)
            error["fieldViolations"] = []
            for detail in status.details:
                bad = rpc_status_pb2.BadRequest()
                if detail.Unpack(bad):
                    error["fieldViolations"] += [{"field": v.field, "description": v.description} for v in bad.field_violations]
    assert isinstance(err, grpc.RpcError)
    return error


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default="127.0.0.1:5081")
    parser.add_argument("--token")
    parser.add_argument("--deadline", type=float, help="seconds")
    parser.add_argument("--max-messages", type=int)
    parser.add_argument("--proto", default=os.path.normpath(os.path.join(HERE, "../../../proto")))
    parser.add_argument("method")
    parser.add_argument("request", nargs="?", default="{}")
    args = parser.parse_args()

    import grpc
    from google.protobuf import descriptor_pb2, json_format

    out = tempfile.mkdtemp(prefix="fleet-grpc-py-")
    generate(args.proto, out)
    fleet_pb2 = importlib.import_module("fleet.v1.fleet_pb2")
    fleet_pb2_grpc = importlib.import_module("fleet.v1.fleet_pb2_grpc")
    rpc_status_pb2 = importlib.import_module("rpc_status_pb2")
    reflection_pb2 = importlib.import_module("reflection_pb2")
    reflection_pb2_grpc = importlib.import_module("reflection_pb2_grpc")
    health_pb2 = importlib.import_module("health_pb2")
    health_pb2_grpc = importlib.import_module("health_pb2_grpc")

    metadata = [("authorization", "Bearer " + args.token)] if args.token else None
    channel = grpc.insecure_channel(args.address)
    try:
        if args.method in ("list-services", "describe"):
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            if args.method == "list-services":
                request = reflection_pb2.ServerReflectionRequest(list_services="")
                for response in stub.ServerReflectionInfo(iter([request]), timeout=args.deadline):
                    print(json.dumps({"services": [s.name for s in response.list_services_response.service]}))
            else:
                request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=args.request)
                for response in stub.ServerReflectionInfo(iter([request]), timeout=args.deadline):
                    for raw in response.file_descriptor_response.file_descriptor_proto:
                        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                        for service in fd.service:
                            if fd.package + "." + service.name == args.request:
                                print(json.dumps({"service": args.request, "file": fd.name,
                                                  "methods": [m.name for m in service.method]}))
            return 0
        if args.method == "health":
            stub = health_pb2_grpc.HealthStub(channel)
            service = "" if args.request == "{}" else args.request
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=args.deadline)
            print(json_format.MessageToJson(response, indent=None))
            return 0

        method = fleet_pb2.DESCRIPTOR.services_by_name["Fleet"].methods_by_name.get(args.method)
        if method is None:
            print("no method " + args.method + " in fleet.v1.Fleet", file=sys.stderr)
            return 1
        request_type = getattr(fleet_pb2, method.input_type.name)
        request = json_format.Parse(args.request, request_type())
        stub = fleet_pb2_grpc.FleetStub(channel)
        call = getattr(stub, args.method)
        if method.server_streaming if hasattr(method, "server_streaming") else args.method.startswith("Watch"):
            stream = call(request, metadata=metadata, timeout=args.deadline)
            seen = 0
            for message in stream:
                print(json_format.MessageToJson(message, indent=None), flush=True)
                seen += 1
                if args.max_messages is not None and seen >= args.max_messages:
                    stream.cancel()
                    break
        else:
            response = call(request, metadata=metadata, timeout=args.deadline)
            print(json_format.MessageToJson(response, indent=None))
        return 0
    except grpc.RpcError as err:
        if err.code() == grpc.StatusCode.CANCELLED and args.max_messages is not None:
            return 0
        print(json.dumps({"error": error_json(err, rpc_status_pb2)}))
        return 2
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main())
