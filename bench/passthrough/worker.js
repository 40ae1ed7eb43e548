// The least a Worker can do in front of a backend: pass the request on and hand the answer back. The bench
// runs it beside the edge in proxy mode, so the proxy-overhead row counts the edge's own work only.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM_URL + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
};
