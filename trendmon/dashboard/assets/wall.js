/* The wall's client side: what arrives on /stream, the freshness line, the stale notice,
   rotation. Kept in the browser so that a heartbeat never costs a server round trip.
   State lives in one object on window (window.trendmonWall) so tests can read it. */
(function () {
  "use strict";
  var MIN_GAP_MS = 250; // at most four board refreshes a second, however fast the engine writes
  var RETRY_MS = 3000; // between two attempts to reopen a dropped stream

  var state = (window.trendmonWall = window.trendmonWall || {
    offsetMs: null, // server clock minus browser clock
    lastMessageAt: null, // browser time of the last message of any kind
    lastChangeServerMs: null, // server time of the last change (or the store's updated_at)
    watermarkMs: null, // event time of the data
    pending: null, // merged changes not handed to Dash yet
    timer: null,
    lastFlush: 0,
    changes: 0,
    messages: 0,
    opened: Date.now(),
  });

  function merge(into, change) {
    if (!into) {
      return {boards: (change.boards || []).slice(), spikes: (change.spikes || []).slice(),
              at_ms: change.at_ms, seq: change.seq, all: !!change.all};
    }
    into.all = into.all || !!change.all;
    var seen = {};
    into.boards.forEach(function (b) { seen[b] = true; });
    (change.boards || []).forEach(function (b) { if (!seen[b]) { into.boards.push(b); } });
    into.spikes = into.spikes.concat(change.spikes || []);
    into.at_ms = change.at_ms;
    into.seq = change.seq;
    return into;
  }

  function flush() {
    state.timer = null;
    if (!state.pending) { return; }
    var change = state.pending;
    state.pending = null;
    state.lastFlush = Date.now();
    window.dash_clientside.set_props("wall-change", {data: change});
  }

  function fmtAge(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) { return s + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min"; }
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return m ? h + " h " + m + " min" : h + " h";
  }

  function fmtUtc(ms, withDate) {
    var iso = new Date(ms).toISOString();
    return (withDate ? iso.slice(0, 10) + " " : "") + iso.slice(11, 16) + " UTC";
  }

  function fmtLocal(ms) {
    return new Date(ms).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit",
                                                second: "2-digit"});
  }

  function init(config) {
    if (state.configured || !config) { return; }
    state.configured = true;
    var fresh = config.fresh || {};
    state.offsetMs = fresh.now_ms ? fresh.now_ms - Date.now() : 0;
    state.lastChangeServerMs = fresh.updated_ms || null;
    state.watermarkMs = fresh.watermark_ms || null;
    state.lastMessageAt = Date.now(); // the page itself just came from the server
  }

  // Added to the object in place: the renderer may hold a reference to it already.
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.trendmon = {
      onMessage: function (message, config) {
        init(config);
        if (!message) { return window.dash_clientside.no_update; }
        var event;
        try { event = JSON.parse(message); } catch (e) { return window.dash_clientside.no_update; }
        var now = Date.now();
        state.messages += 1;
        state.lastMessageAt = now;
        if (event.now_ms) { state.offsetMs = event.now_ms - now; }
        if (event.kind === "hello" && state.attempts) {
          // A reopened stream: boards may have changed while it was down, so re-read them all.
          state.pending = merge(state.pending, {all: true});
          if (!state.timer) { state.timer = setTimeout(flush, 0); }
        }
        if (event.kind === "change") {
          state.changes += 1;
          state.lastChangeServerMs = event.now_ms;
          if (event.at_ms) { state.watermarkMs = event.at_ms; }
          state.pending = merge(state.pending, event);
          if (!state.timer) {
            var wait = Math.max(0, state.lastFlush + MIN_GAP_MS - now);
            state.timer = setTimeout(flush, wait);
          }
        }
        if (event.kind === "error") {
          state.streamEnded = true; // the server ends the stream after this: reopen it
          return "w-live down";
        }
        return "w-live";
      },

      tick: function (n, config) {
        init(config);
        var stale = config.stale_after_s * 1000;
        var quiet = Math.max(3 * config.heartbeat_s, config.heartbeat_s + 5) * 1000;
        var now = Date.now();
        var serverNow = now + (state.offsetMs || 0);
        var fresh, banner = "", stalled = false;
        if (state.lastChangeServerMs) {
          var age = (serverNow - state.lastChangeServerMs) / 1000;
          fresh = "Data changed " + fmtLocal(state.lastChangeServerMs - (state.offsetMs || 0)) +
            " (" + fmtAge(age) + " ago)" +
            (state.watermarkMs ? " · event time " + fmtUtc(state.watermarkMs, true) : "");
          if (age * 1000 > stale) {
            stalled = true;
            banner = "No new data for " + fmtAge(age) + " — the stream has stopped";
          }
        } else {
          fresh = "No data yet";
          stalled = true;
          banner = "No data yet — is the engine running? (trendmon run)";
        }
        var dropped = state.lastMessageAt && now - state.lastMessageAt > quiet;
        var url = window.dash_clientside.no_update;
        if (dropped || state.streamEnded) {
          // dash-extensions' SSE closes its source on an error and never retries; a new URL
          // makes it open a fresh one.
          if (now - (state.lastAttempt || 0) >= RETRY_MS) {
            state.lastAttempt = now;
            state.attempts = (state.attempts || 0) + 1;
            state.streamEnded = false;
            url = "/stream?attempt=" + state.attempts;
          }
        }
        if (dropped) {
          stalled = true;
          banner = "Connection to the server lost " + fmtAge((now - state.lastMessageAt) / 1000) +
            " ago — reconnecting. " + (banner || "The numbers below may be out of date.");
        }
        return [fresh, banner, !stalled, stalled ? "wall stale" : "wall", url];
      },

      rotate: function (n, view, config) {
        if (!config || !config.rotate_s) { return window.dash_clientside.no_update; }
        var list = config.cycle === "markets" ? config.markets : config.windows;
        var key = config.cycle === "markets" ? "market" : "window";
        var i = list.indexOf(view[key]);
        var next = Object.assign({}, view);
        next[key] = list[(i + 1) % list.length];
        return next;
      },
  };
})();
