// Spotlight's server listens on every network interface, and has no option to choose one.
// The demo loads this file first (`node --import`): a server started without an address
// listens on 127.0.0.1 only, so nothing on your network can reach Spotlight.
import net from "node:net";

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (port, host, ...rest) {
  if (typeof port === "number" && typeof host !== "string") {
    return listen.call(this, port, "127.0.0.1", ...(host === undefined ? rest : [host, ...rest]));
  }
  return listen.call(this, port, host, ...rest);
};
