#!/usr/bin/env node
// A command-line client of Fleet's gRPC API on @grpc/grpc-js and @grpc/proto-loader, in the manner of grpcurl:
//
//   node fleet.js [--address 127.0.0.1:5081] [--token T] [--deadline-ms N] [--max-messages N] METHOD 'JSON request'
//
// The request is the proto3 JSON of the method's request message (e.g. Get '{"kind":"CLUSTER","namespace":"demo",
// "name":"east"}'). Answers print as one JSON line each (a stream prints one line per message and stops after
// --max-messages, cancelling the call). A failure prints {"error":{code, codeName, message, fieldViolations}} and
// exits with 2; field violations come from the google.rpc.BadRequest in the status details.
// Modules are found through NODE_PATH (scripts/install-deps.sh --tests installs them into .tmp/npm).
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

function parseArgs(argv) {
  const options = { address: '127.0.0.1:5081', token: null, deadlineMs: null, maxMessages: null, proto: null };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--address') options.address = value();
    else if (a === '--token') options.token = value();
    else if (a === '--deadline-ms') options.deadlineMs = Number(value());
    else if (a === '--max-messages') options.maxMessages = Number(value());
    else if (a === '--proto') options.proto = value();
    else rest.push(a);
  }
  if (rest.length < 1) throw new Error('usage: fleet.js [--address HOST:PORT] [--token T] [--deadline-ms N] [--max-messages N] METHOD [JSON]');
  options.method = rest[0];
  options.request = rest.length > 1 ? JSON.parse(rest[1]) : {};
  return options;
}

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

function describeError(err) {
  const error = { code: err.code, codeName: CODE_NAMES[err.code], message: err.details };
  const raw = err.metadata && err.metadata.get('grpc-status-details-bin');
  if (raw && raw.length > 0) {
    // google.rpc.Status and google.rpc.BadRequest, from the small schema beside this script.
    const root = protobuf.loadSync(path.join(__dirname, 'rpc_status.proto'));
    const status = root.lookupType('google.rpc.Status').decode(raw[0]);
    const badRequest = root.lookupType('google.rpc.BadRequest');
    error.fieldViolations = [];
    for (const detail of status.details) {
      if (detail.type_url === 'type.googleapis.com/google.rpc.BadRequest') {
        for (const v of badRequest.decode(detail.value).fieldViolations) {
          error.fieldViolations.push({ field: v.field, description: v.description });
        }
      }
    }
  }
  return error;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const protoDir = options.proto || path.resolve(__dirname, '../../../proto');
  const definition = protoLoader.loadSync('fleet/v1/fleet.proto', {
    includeDirs: [protoDir],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    json: true,
  });
  const fleet = grpc.loadPackageDefinition(definition).fleet.v1;
  const client = new fleet.Fleet(options.address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (options.token) metadata.add('authorization', `Bearer ${options.token}`);
  const callOptions = options.deadlineMs != null ? { deadline: new Date(Date.now() + options.deadlineMs) } : {};
  const method = options.method.charAt(0).toLowerCase() + options.method.slice(1);
  const spec = fleet.Fleet.service[options.method];
  if (!spec) throw new Error(`no method ${options.method} in fleet.v1.Fleet`);
  const request = options.request;
  const fail = (err) => {
    console.log(JSON.stringify({ error: describeError(err) }));
    client.close();
    process.exitCode = 2;
  };

  if (!spec.responseStream) {
    client[method](request, metadata, callOptions, (err, response) => {
      if (err) return fail(err);
      console.log(JSON.stringify(response));
      client.close();
    });
    return;
  }

  const call = client[method](request, metadata, callOptions);
  let seen = 0;
  call.on('data', (message) => {
    console.log(JSON.stringify(message));
    seen++;
    if (options.maxMessages != null && seen >= options.maxMessages) {
      call.cancel();
      client.close();
    }
  });
  call.on('error', (err) => {
    if (err.code === grpc.status.CANCELLED && options.maxMessages != null && seen >= options.maxMessages) return;
    fail(err);
  });
  call.on('end', () => client.close());
}

try {
  main();
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
}
