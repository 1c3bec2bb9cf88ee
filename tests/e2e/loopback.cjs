'use strict';
// Preload (`node -r ./loopback.cjs ...`) that keeps every TCP server of the
// process on the loopback interface.
//
// Why: the Microsoft 365 Agents Playground calls `listen(port)` with no host,
// which binds all interfaces. Tests on this machine must bind 127.0.0.1 only,
// so every net.Server.prototype.listen call (http/https/ws servers inherit it)
// is rewritten to use host 127.0.0.1. Unix socket paths, handles and file
// descriptors are left alone.
const net = require('net');

const HOST = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return (
    typeof value === 'number' ||
    (typeof value === 'string' && value !== '' && /^\d+$/.test(value))
  );
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (args.length === 0 || typeof first === 'function' || first === undefined || first === null) {
    // listen() / listen(cb): an ephemeral port on all interfaces by default.
    const rest = first === undefined || first === null ? args.slice(1) : args;
    return originalListen.call(this, 0, HOST, ...rest);
  }
  if (isPort(first)) {
    // listen(port[, host][, backlog][, cb]): replace or insert the host.
    if (typeof args[1] === 'string') {
      args[1] = HOST;
    } else {
      args.splice(1, 0, HOST);
    }
    return originalListen.apply(this, args);
  }
  if (typeof first === 'object' && !first._handle && first.fd === undefined && first.path === undefined
      && first.handle === undefined) {
    // listen(options[, cb]) with a TCP port.
    args[0] = { ...first, host: HOST };
    return originalListen.apply(this, args);
  }
  return originalListen.apply(this, args);
};
