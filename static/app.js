// AssetLink's embedded admin pages: data from /app/api, rendered into Polaris
// web components. Everything here also works when cdn.shopify.com is
// unreachable (blocked, offline, an extension): App Bridge is then missing,
// so calls use the session token the page was loaded with, and Polaris
// elements stay undefined, so `fallback` gives them native behaviour.

const appBridge = () => (window.shopify && typeof window.shopify.idToken === "function" ? window.shopify : null);
const polarisLoaded = () => customElements.get("s-button") !== undefined;
const $ = (selector, root = document) => root.querySelector(selector);

// ---------------------------------------------------------------- fallback
// Only for Polaris elements the browser doesn't know: a known (upgraded)
// element renders and behaves on its own.
const fallback = {
  enhance(root = document) {
    if (polarisLoaded()) return;
    root.querySelectorAll("s-button, s-link").forEach((el) => fallback.button(el));
    root.querySelectorAll("s-text-field").forEach((el) => fallback.textField(el));
    root.querySelectorAll("s-page[heading], s-section[heading], s-banner[heading]").forEach((el) => fallback.heading(el));
    for (const [selector, role] of [
      ["s-table", "table"], ["s-table-header-row", "row"], ["s-table-header", "columnheader"],
      ["s-table-body", "rowgroup"], ["s-table-row", "row"], ["s-table-cell", "cell"],
      ["s-ordered-list", "list"], ["s-unordered-list", "list"], ["s-list-item", "listitem"],
    ]) {
      root.querySelectorAll(selector).forEach((el) => el.setAttribute("role", role));
    }
    if (root === document) document.querySelectorAll("s-app-nav").forEach((nav) => nav.setAttribute("role", "navigation"));
  },

  // A real heading element, so the page's outline reads the same as with Polaris.
  heading(el) {
    if (el.querySelector(":scope > .fallback-heading")) return;
    const heading = document.createElement({ "S-PAGE": "h1", "S-SECTION": "h2" }[el.tagName] || "h3");
    heading.className = "fallback-heading";
    heading.textContent = el.getAttribute("heading");
    el.prepend(heading);
  },

  button(el) {
    if (el.dataset.fallback) return;
    el.dataset.fallback = "1";
    el.setAttribute("role", el.tagName === "S-LINK" ? "link" : "button");
    const label = el.getAttribute("accessibilitylabel");
    if (label) el.setAttribute("aria-label", label);
    fallback.syncDisabled(el);
    el.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || (event.key === " " && el.tagName === "S-BUTTON")) {
        event.preventDefault();
        el.click();
      }
    });
    // Capture: at the target, capturing listeners run before the page's own.
    el.addEventListener("click", (event) => {
      if (el.hasAttribute("disabled") || el.hasAttribute("loading")) event.stopImmediatePropagation();
    }, true);
    el.addEventListener("click", () => {
      const href = el.getAttribute("href");
      if (href) navigate(href);
      const close = el.dataset.dialogClose;
      if (close) el.closest("dialog")?.close(close);
    });
  },

  syncDisabled(el) {
    const off = el.hasAttribute("disabled") || el.hasAttribute("loading");
    el.setAttribute("tabindex", off ? "-1" : "0");
    el.setAttribute("aria-disabled", String(off));
    el.setAttribute("aria-busy", String(el.hasAttribute("loading")));
  },

  textField(el) {
    if (el.dataset.fallback) return;
    el.dataset.fallback = "1";
    const id = (el.id || "field") + "-input";
    const label = document.createElement("label");
    label.htmlFor = id;
    label.className = "field-label";
    label.textContent = el.getAttribute("label") || "";
    const input = document.createElement("input");
    input.id = id;
    input.type = "text";
    input.className = "field-input";
    for (const name of ["name", "placeholder", "maxlength", "autocomplete", "required"]) {
      if (el.hasAttribute(name)) input.setAttribute(name, el.getAttribute(name));
    }
    input.readOnly = el.hasAttribute("readonly");
    input.value = el.getAttribute("value") || "";
    const describedBy = [];
    const error = document.createElement("span");
    error.id = id + "-error";
    error.className = "field-error";
    error.hidden = true;
    describedBy.push(error.id);
    el.replaceChildren(label, input, error);
    if (el.hasAttribute("details")) {
      const details = document.createElement("span");
      details.id = id + "-details";
      details.className = "field-details";
      details.textContent = el.getAttribute("details");
      el.append(details);
      describedBy.push(details.id);
    }
    input.setAttribute("aria-describedby", describedBy.join(" "));
    // Enter in a lone field submits its form, as a native input would.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !input.readOnly) {
        event.preventDefault();
        el.closest("form")?.requestSubmit();
      }
    });
  },
};

// The few operations the page needs, whichever way the element rendered.
const field = {
  get(el) {
    return polarisLoaded() ? el.value : $("input", el).value;
  },
  set(el, value) {
    if (polarisLoaded()) el.value = value;
    else $("input", el).value = value;
  },
  error(el, message) {
    if (polarisLoaded()) {
      el.error = message || "";
      return;
    }
    const input = $("input", el);
    const error = $(".field-error", el);
    error.textContent = message || "";
    error.hidden = !message;
    input.setAttribute("aria-invalid", String(Boolean(message)));
  },
  focus(el) {
    (polarisLoaded() ? el : $("input", el)).focus();
  },
  select(el) {
    const input = polarisLoaded() ? el.shadowRoot?.querySelector("input") : $("input", el);
    input?.select();
  },
};

function setBusy(button, busy) {
  button.toggleAttribute("loading", busy);
  if (!polarisLoaded()) fallback.syncDisabled(button);
}

function setDisabled(button, disabled) {
  button.toggleAttribute("disabled", disabled);
  if (!polarisLoaded()) fallback.syncDisabled(button);
}

// A page load of the app must carry the embedded query (embedded, shop,
// host, id_token), or the server sends it out of the iframe into the admin.
// A stale id_token is fine: the server bounces it through App Bridge for a
// fresh one.
function navigate(href) {
  const url = new URL(href, location.href);
  if (url.origin === location.origin && !url.search) url.search = location.search;
  location.assign(url.toString());
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("[data-app-href]");
  if (link && !link.hasAttribute("disabled")) navigate(link.dataset.appHref);
});

// ---------------------------------------------------------------- API calls
class ApiError extends Error {
  constructor(status, problem, heading = "Something went wrong") {
    super((problem && (problem.detail || problem.title)) || `The request failed (HTTP ${status}).`);
    this.status = status;
    this.problem = problem;
    this.heading = heading;
  }
}

const initialToken = document.querySelector('meta[name="assetlink-id-token"]')?.content || "";

async function sessionToken() {
  const bridge = appBridge();
  return bridge ? bridge.idToken() : initialToken;
}

async function api(path, { method = "GET", body } = {}) {
  const send = async () => {
    const headers = { Accept: "application/json", Authorization: `Bearer ${await sessionToken()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { detail: "AssetLink couldn't be reached. Check your connection and try again." },
        "Connection problem");
    }
  };
  let response = await send();
  // A stale token: App Bridge can mint a fresh one, so retry once.
  if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request") && appBridge()) {
    response = await send();
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (response.status === 401) {
    if (response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) {
      throw new ApiError(401, { detail: "Your session expired. Reload the page to continue." }, "Session expired");
    }
    throw new ApiError(401, { detail: (payload && payload.detail) || "Reload the page to continue." }, "Reload needed");
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

// ---------------------------------------------------------------- feedback
function showPageError(error) {
  const banner = $("#page-error");
  if (!banner) return;
  const heading = error.heading || "Something went wrong";
  banner.setAttribute("heading", heading);
  const fallbackHeading = banner.querySelector(":scope > .fallback-heading");
  if (fallbackHeading) fallbackHeading.textContent = heading;
  $('[data-role="message"]', banner).textContent = error.message;
  banner.hidden = false;
}

function clearPageError() {
  const banner = $("#page-error");
  if (banner) banner.hidden = true;
}

function announce(region, message) {
  region.textContent = "";
  // A fresh text node, so screen readers announce a repeated message too.
  requestAnimationFrame(() => { region.textContent = message; });
  // In the admin, also the toast merchants know from Shopify's own pages.
  appBridge()?.toast?.show(message);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers, or clipboard access not granted to the admin iframe.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }
}

function wireCopy(button, source, status, what) {
  button.addEventListener("click", async () => {
    const value = field.get(source);
    if (!value) return;
    const copied = await copyText(value);
    if (copied) {
      button.textContent = "Copied";
      announce(status, `${what} copied to the clipboard.`);
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    } else {
      field.select(source);
      announce(status, `Couldn't copy automatically. The ${what.toLowerCase()} is selected: press Ctrl+C (⌘C on Mac).`);
    }
  });
}

function dateFormatter() {
  const options = { dateStyle: "medium", timeStyle: "short" };
  try {
    return new Intl.DateTimeFormat(document.body.dataset.locale || undefined, options);
  } catch {
    return new Intl.DateTimeFormat(undefined, options);  // a tag the browser doesn't know
  }
}
const dateFormat = dateFormatter();

// `label` names the column where a narrow screen stacks the cells.
function timeCell(iso, label, never = "Never") {
  const cell = document.createElement("s-table-cell");
  cell.dataset.label = label;
  if (!iso) {
    cell.textContent = never;
    return cell;
  }
  const time = document.createElement("time");
  time.dateTime = iso;
  time.title = iso;
  time.textContent = dateFormat.format(new Date(iso));
  cell.append(time);
  return cell;
}

function textCell(text, className, label) {
  const cell = document.createElement("s-table-cell");
  cell.textContent = text;
  if (label) cell.dataset.label = label;
  if (className) cell.className = className;
  return cell;
}

function confirmAction({ heading, body, action }) {
  const dialog = $("#confirm-dialog");
  $("#confirm-heading", dialog).textContent = heading;
  $("#confirm-body", dialog).textContent = body;
  $("#confirm-action", dialog).textContent = action;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// With Polaris loaded, s-button is not a form control: close the dialog here.
document.addEventListener("click", (event) => {
  if (!polarisLoaded()) return;
  const button = event.target.closest?.("[data-dialog-close]");
  if (button) button.closest("dialog")?.close(button.dataset.dialogClose);
});

// ---------------------------------------------------------------- settings
function settingsPage() {
  const codeField = $("#connection-code");
  const copyButton = $("#copy-code");
  const regenerateButton = $("#regenerate-code");
  const connectionStatus = $("#connection-status");
  const keyStatus = $("#api-key-status");

  // Tabs: a segmented button group; the hash keeps the choice on reload.
  const tabs = [...document.querySelectorAll("[data-tab]")];
  const showTab = (name) => {
    for (const tab of tabs) {
      const active = tab.dataset.tab === name;
      tab.setAttribute("aria-pressed", String(active));
      // Polaris renders the selected option with a check mark.
      if (active) tab.setAttribute("icon", "check");
      else tab.removeAttribute("icon");
      $(`[data-panel="${tab.dataset.tab}"]`).hidden = !active;
    }
    history.replaceState(null, "", name === "connection" ? location.pathname + location.search : `#${name}`);
  };
  tabs.forEach((tab) => tab.addEventListener("click", () => showTab(tab.dataset.tab)));
  showTab(location.hash === "#api-keys" ? "api-keys" : "connection");

  let shownCode = null;
  function renderConnection(data) {
    if (shownCode && data.code !== shownCode) {
      announce(connectionStatus, "The previous code was used to connect. A new code is ready for the next environment.");
    }
    shownCode = data.code;
    field.set(codeField, data.code);
    setDisabled(copyButton, false);
    setDisabled(regenerateButton, false);
    const body = $("#environments-body");
    body.replaceChildren(...data.environments.map((env) => {
      const row = document.createElement("s-table-row");
      row.dataset.id = env.id;
      const disconnect = document.createElement("s-button");
      disconnect.textContent = "Disconnect";
      disconnect.setAttribute("tone", "critical");
      disconnect.setAttribute("accessibilityLabel", `Disconnect ${env.cloud_name || "environment"}`);
      disconnect.addEventListener("click", () => disconnectEnvironment(env, disconnect));
      const actions = document.createElement("s-table-cell");
      actions.className = "actions";
      actions.append(disconnect);
      row.append(textCell(env.cloud_name || "—", "strong"), textCell(env.label || "—", "", "Label"),
        timeCell(env.connected_at, "Connected"), timeCell(env.last_used_at, "Last used"), actions);
      return row;
    }));
    fallback.enhance(body);
    $("#environments-table").hidden = data.environments.length === 0;
    $("#environments-empty").hidden = data.environments.length !== 0;
  }

  async function loadConnection() {
    try {
      renderConnection(await api("/app/api/connection"));
      clearPageError();
    } catch (error) {
      field.set(codeField, "");
      showPageError(error);
    }
  }

  async function disconnectEnvironment(env, button) {
    const name = env.cloud_name || "this environment";
    const ok = await confirmAction({
      heading: `Disconnect ${name}?`,
      body: `Cloudinary's AssetLink app in ${name} can no longer sync to this store until you connect it again with a new code. Assets already linked to products stay where they are.`,
      action: "Disconnect",
    });
    if (!ok) return;
    setBusy(button, true);
    try {
      await api(`/app/api/connections/${encodeURIComponent(env.id)}`, { method: "DELETE" });
      announce(connectionStatus, `${name} was disconnected.`);
      await loadConnection();
    } catch (error) {
      setBusy(button, false);
      showPageError(error);
    }
  }

  regenerateButton.addEventListener("click", async () => {
    setBusy(regenerateButton, true);
    try {
      const data = await api("/app/api/connection/regenerate", { method: "POST" });
      shownCode = data.code;
      field.set(codeField, data.code);
      announce(connectionStatus, "New code generated. The previous code no longer works.");
    } catch (error) {
      showPageError(error);
    } finally {
      setBusy(regenerateButton, false);
    }
  });
  wireCopy(copyButton, codeField, connectionStatus, "Connection code");

  // ---- API keys
  const form = $("#api-key-form");
  const labelField = $("#api-key-label");
  const generateButton = $("#generate-key");
  const newKey = $("#new-key");

  function renderKeys(keys) {
    const body = $("#api-keys-body");
    body.replaceChildren(...keys.map((key) => {
      const row = document.createElement("s-table-row");
      row.dataset.id = key.id;
      const revoke = document.createElement("s-button");
      revoke.textContent = "Revoke";
      revoke.setAttribute("tone", "critical");
      revoke.setAttribute("accessibilityLabel", `Revoke ${key.label}`);
      revoke.addEventListener("click", () => revokeKey(key, revoke));
      const actions = document.createElement("s-table-cell");
      actions.className = "actions";
      actions.append(revoke);
      const prefix = textCell(`${key.prefix}…`, "mono", "Key");
      row.append(textCell(key.label, "strong"), prefix, timeCell(key.created_at, "Created"),
        timeCell(key.last_used_at, "Last used"), actions);
      return row;
    }));
    fallback.enhance(body);
    $("#api-keys-table").hidden = keys.length === 0;
    $("#api-keys-empty").hidden = keys.length !== 0;
  }

  async function loadKeys() {
    try {
      renderKeys(await api("/app/api/api-keys"));
    } catch (error) {
      showPageError(error);
    }
  }

  async function revokeKey(key, button) {
    const ok = await confirmAction({
      heading: `Revoke “${key.label}”?`,
      body: `Anything using the key ${key.prefix}… stops working at once. This can't be undone.`,
      action: "Revoke key",
    });
    if (!ok) return;
    setBusy(button, true);
    try {
      await api(`/app/api/api-keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
      announce(keyStatus, `API key “${key.label}” was revoked.`);
      await loadKeys();
    } catch (error) {
      setBusy(button, false);
      showPageError(error);
    }
  }

  let creating = false;
  async function createKey() {
    if (creating) return;
    const label = field.get(labelField).trim();
    if (!label) {
      field.error(labelField, "Enter a label, for example “PIM import”.");
      field.focus(labelField);
      return;
    }
    field.error(labelField, "");
    creating = true;
    setBusy(generateButton, true);
    try {
      const created = await api("/app/api/api-keys", { method: "POST", body: { label } });
      field.set($("#new-key-value"), created.key);
      field.set($("#new-key-secret"), created.signing_secret);
      newKey.hidden = false;
      field.set(labelField, "");
      announce(keyStatus, `API key “${created.label}” generated. Copy it now: it won't be shown again.`);
      await loadKeys();
      $("#copy-key").focus();
    } catch (error) {
      const labelError = error.problem?.errors?.find((e) => e.field === "label");
      if (labelError) {
        field.error(labelField, labelError.message);
        field.focus(labelField);
      } else {
        showPageError(error);
      }
    } finally {
      creating = false;
      setBusy(generateButton, false);
    }
  }
  // The button and Enter in the field both create; neither relies on
  // s-button being a form control.
  generateButton.addEventListener("click", createKey);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    createKey();
  });
  wireCopy($("#copy-key"), $("#new-key-value"), keyStatus, "API key");
  wireCopy($("#copy-secret"), $("#new-key-secret"), keyStatus, "Signing secret");
  $("#dismiss-key").addEventListener("click", () => {
    // Drop the secret from the page once the merchant has it.
    field.set($("#new-key-value"), "");
    field.set($("#new-key-secret"), "");
    newKey.hidden = true;
    generateButton.focus();
  });

  loadConnection();
  loadKeys();
  // Back from Cloudinary after connecting: the used code is gone and a new
  // environment is listed, so refresh what's shown.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      loadConnection();
      loadKeys();
    }
  });
}

// ---------------------------------------------------------------- home
async function homePage() {
  const status = $("#home-status");
  const list = $("#home-environments");
  try {
    const { environments } = await api("/app/api/connection");
    if (environments.length === 0) {
      status.textContent = "This store isn't connected to Cloudinary yet. Open Settings to copy your connection code.";
      return;
    }
    status.textContent = environments.length === 1
      ? "This store is connected to 1 Cloudinary product environment:"
      : `This store is connected to ${environments.length} Cloudinary product environments:`;
    list.replaceChildren(...environments.map((env) => {
      const item = document.createElement("s-list-item");
      item.textContent = env.label ? `${env.cloud_name} (${env.label})` : env.cloud_name;
      return item;
    }));
    list.hidden = false;
    fallback.enhance(list);
  } catch (error) {
    status.textContent = "";
    showPageError(error);
  }
}

// ---------------------------------------------------------------- sync history
const RUN_KINDS = { sync: "Link to Products", upload: "Upload to Files", unlink: "Unlink" };
// [label, Polaris badge tone]
const RUN_STATUSES = {
  queued: ["Queued", "neutral"],
  running: ["Running", "info"],
  succeeded: ["Succeeded", "success"],
  partially_succeeded: ["Partially succeeded", "warning"],
  failed: ["Failed", "critical"],
  aborted: ["Aborted", "caution"],
};
// [label, label in a dry run (a plan, nothing written), tone]
const ROW_ACTIONS = {
  created: ["Created", "Would create", "success"],
  replaced: ["Replaced", "Would replace", "info"],
  moved: ["Moved", "Would move", "info"],
  unchanged: ["Unchanged", "Unchanged", "neutral"],
  removed: ["Removed", "Would remove", "warning"],
  skipped: ["Skipped", "Would skip", "caution"],
  failed: ["Failed", "Would fail", "critical"],
};
// A product the run hasn't finished yet has no rows: say where it stands.
const PRODUCT_WAITING = {
  pending: ["Waiting", "neutral"], planned: ["In progress", "info"], running: ["In progress", "info"],
  aborted: ["Not done: run aborted", "caution"], failed: ["Failed", "critical"], done: ["Nothing to do", "neutral"],
};
const POLL_INTERVAL_MS = 2000;
const runIsActive = (run) => run.status === "queued" || run.status === "running";
const numberFormat = (() => {
  try {
    return new Intl.NumberFormat(document.body.dataset.locale || undefined);
  } catch {
    return new Intl.NumberFormat();
  }
})();
const count = (n) => numberFormat.format(n);

function badge(text, tone) {
  const el = document.createElement("s-badge");
  if (tone) el.setAttribute("tone", tone);
  el.textContent = text;
  return el;
}

// Polaris' s-progress when it loaded, else the native element (same role,
// value and label for assistive tech). No total yet: indeterminate.
function progressBar(done, total, label) {
  const polaris = customElements.get("s-progress") !== undefined;
  const bar = document.createElement(polaris ? "s-progress" : "progress");
  if (polaris) bar.setAttribute("accessibilityLabel", label);
  else {
    bar.className = "progress";
    bar.setAttribute("aria-label", label);
  }
  if (total > 0) {
    bar.setAttribute("max", String(total));
    bar.setAttribute("value", String(Math.min(done, total)));
  }
  return bar;
}

// Tables: the day over the time ("Nov 22" / "7:33 PM"), with the year only
// when it isn't this year; the full date and time on hover.
const shortDateFormats = (() => {
  const make = (options) => {
    try {
      return new Intl.DateTimeFormat(document.body.dataset.locale || undefined, options);
    } catch {
      return new Intl.DateTimeFormat(undefined, options);
    }
  };
  return {
    thisYear: make({ month: "short", day: "numeric" }),
    otherYear: make({ month: "short", day: "numeric", year: "numeric" }),
    time: make({ hour: "numeric", minute: "2-digit" }),
  };
})();

function shortTimeCell(iso, label, never) {
  const cell = timeCell(iso, label, never);
  const time = cell.querySelector("time");
  if (time) {
    const date = new Date(iso);
    const day = date.getFullYear() === new Date().getFullYear() ? shortDateFormats.thisYear
      : shortDateFormats.otherYear;
    const clock = document.createElement("span");
    clock.className = "subdued block";
    clock.textContent = shortDateFormats.time.format(date);
    time.textContent = day.format(date) + " ";
    time.append(clock);
    time.title = dateFormat.format(date);
  }
  cell.classList.add("nowrap");
  return cell;
}

function formatTime(iso) {
  const time = document.createElement("time");
  time.dateTime = iso;
  time.title = iso;
  time.textContent = dateFormat.format(new Date(iso));
  return time;
}

function runName(run) {
  return `${RUN_KINDS[run.kind] || run.kind} run of ${dateFormat.format(new Date(run.created_at))}`;
}

function productsText(run) {
  const { products_done: done, products_total: total } = run.progress;
  if (run.status === "queued") return "Waiting to start";
  // Uploads go to Files, not to products.
  if (run.kind === "upload" && total === 0) return `${count(run.progress.assets_total)} files`;
  if (total === 0) return runIsActive(run) ? "Finding products…" : "No products";
  return `${count(done)} of ${count(total)} ${total === 1 ? "product" : "products"}`;
}

function progressBlock(run) {
  const block = document.createElement("div");
  block.className = "progress-block";
  const { products_done: done, products_total: total } = run.progress;
  if (runIsActive(run)) block.append(progressBar(done, total, `${runName(run)}: ${productsText(run)}`));
  const text = document.createElement("span");
  text.className = "progress-text";
  text.textContent = productsText(run);
  block.append(text);
  return block;
}

// Calls `refresh` every ~2 s while `wanted`, never two at once, and not while
// the page is in the background (it catches up when shown again).
function poller(refresh) {
  let wanted = false;
  let timer = null;
  let running = false;
  const tick = async () => {
    timer = null;
    if (!wanted || running || document.visibilityState === "hidden") return;
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
      if (wanted && !timer) timer = setTimeout(tick, POLL_INTERVAL_MS);
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && wanted && !timer && !running) tick();
  });
  return {
    set(active) {
      wanted = active;
      if (!active && timer) {
        clearTimeout(timer);
        timer = null;
      } else if (active && !timer && !running) {
        timer = setTimeout(tick, POLL_INTERVAL_MS);
      }
    },
    get active() {
      return wanted;
    },
  };
}

// The report downloads from a one-minute signed URL (see report_link in
// ui/api.py): a download can't carry the session token, and the embedded
// page has no cookies.
async function downloadReport(runId, format, button, status) {
  setBusy(button, true);
  try {
    const link = await api(`/app/api/syncs/${encodeURIComponent(runId)}/report-link?format=${format}`,
      { method: "POST" });
    const url = new URL(link.url, location.href).toString();
    if (appBridge()?.environment?.mobile) {
      // Shopify's mobile app can't save files from its web view; the system browser can.
      window.open(url, "_blank");
    } else {
      const anchor = document.createElement("a");
      anchor.href = url;
      anchor.download = link.filename;
      anchor.hidden = true;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
    }
    announce(status, `Downloading ${link.filename}.`);
  } catch (error) {
    showPageError(error);
  } finally {
    setBusy(button, false);
  }
}

function historyListPage(status) {
  const body = $("#history-body");
  const more = $("#history-more");
  let nextBefore = null;
  let loadedOnce = false;

  function runRow(run) {
    const row = document.createElement("s-table-row");
    row.dataset.id = run.id;
    row.dataset.state = JSON.stringify(run);

    const name = document.createElement("s-table-cell");
    name.className = "run-cell";
    const title = document.createElement("span");
    title.className = "run-title";
    title.textContent = RUN_KINDS[run.kind] || run.kind;
    name.append(title);
    if (run.dry_run) name.append(" ", badge("Dry run", "info"));
    if (run.cloud_name) {
      const cloud = document.createElement("span");
      cloud.className = "subdued block";
      cloud.textContent = run.cloud_name;
      name.append(cloud);
    }

    const state = document.createElement("s-table-cell");
    state.dataset.label = "Status";
    const [label, tone] = RUN_STATUSES[run.status] || [run.status, "neutral"];
    state.append(badge(label, tone));

    const products = document.createElement("s-table-cell");
    products.dataset.label = "Products";
    products.className = "progress-cell";
    products.append(progressBlock(run));

    const linked = textCell(run.dry_run ? "—" : count(run.progress.assets_linked), "numeric", "Assets linked");
    if (run.dry_run) linked.title = "A dry run writes nothing to the store.";
    const failures = textCell(count(run.progress.failures), run.progress.failures ? "numeric critical" : "numeric",
      "Failures");

    const view = document.createElement("s-button");
    view.textContent = "View";
    view.setAttribute("variant", "tertiary");
    view.setAttribute("accessibilityLabel", `View ${runName(run)}`);
    view.dataset.appHref = `/history/${run.id}`;
    const actions = document.createElement("s-table-cell");
    actions.className = "actions";
    actions.append(view);

    row.append(name, state,
      shortTimeCell(run.started_at, "Started", run.status === "queued" ? "Not started" : "—"),
      shortTimeCell(run.finished_at, "Finished", runIsActive(run) ? "In progress" : "—"),
      products, linked, failures, actions);
    return row;
  }

  // Newest first. A row whose run hasn't changed is left alone (focus and
  // selection survive a refresh); a changed one is replaced in place.
  function merge(runs, { append }) {
    let anchor = null;
    for (const run of runs) {
      const state = JSON.stringify(run);
      let row = body.querySelector(`:scope > [data-id="${run.id}"]`);
      if (row && row.dataset.state !== state) {
        const before = JSON.parse(row.dataset.state);
        const fresh = runRow(run);
        row.replaceWith(fresh);
        row = fresh;
        if (runIsActive(before) && !runIsActive(run)) {
          announce(status, `${runName(run)}: ${RUN_STATUSES[run.status]?.[0] || run.status}.`);
        }
      } else if (!row) {
        row = runRow(run);
        if (append) body.append(row);
        else if (anchor) anchor.after(row);
        else body.prepend(row);
      }
      anchor = row;
    }
    fallback.enhance(body);
    const any = body.children.length > 0;
    $("#history-table").hidden = !any;
    $("#history-empty").hidden = any;
  }

  const poll = poller(refresh);
  const shownActive = () => [...body.children].some((row) => runIsActive(JSON.parse(row.dataset.state)));

  async function refresh() {
    try {
      const data = await api("/app/api/syncs");
      merge(data.syncs, { append: false });
      if (!loadedOnce) {
        nextBefore = data.next_before;
        more.hidden = !nextBefore;
        loadedOnce = true;
      }
      clearPageError();
      poll.set(shownActive());
    } catch (error) {
      showPageError(error);
      // A lost connection may come back; an expired session won't.
      poll.set(error.status === 0 && shownActive());
    }
  }

  more.addEventListener("click", async () => {
    if (!nextBefore) return;
    setBusy(more, true);
    try {
      const data = await api(`/app/api/syncs?before=${encodeURIComponent(nextBefore)}`);
      merge(data.syncs, { append: true });
      nextBefore = data.next_before;
      more.hidden = !nextBefore;
    } catch (error) {
      showPageError(error);
    } finally {
      setBusy(more, false);
    }
  });

  $("#history-list").hidden = false;
  refresh();
}

function historyDetailPage(runId, status) {
  const productsBody = $("#products-body");
  const productsMore = $("#products-more");
  let run = null;
  let nextProductsAfter = null;
  let morePagesShown = false;

  function fact(term, ...value) {
    const wrap = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.append(...value);
    wrap.append(dt, dd);
    return wrap;
  }

  function renderSummary(current) {
    const previous = run;
    run = current;
    $("#run-kind").textContent = RUN_KINDS[run.kind] || run.kind;
    const [label, tone] = RUN_STATUSES[run.status] || [run.status, "neutral"];
    const badges = $("#run-badges");
    badges.replaceChildren(badge(label, tone), ...(run.dry_run ? [badge("Dry run", "info")] : []));
    badges.querySelector("s-badge").id = "run-status";
    const progress = $("#run-progress");
    progress.replaceChildren(progressBlock(run));
    progress.hidden = !runIsActive(run);
    const p = run.progress;
    $("#run-facts").replaceChildren(
      fact("Requested", formatTime(run.created_at)),
      fact("Started", run.started_at ? formatTime(run.started_at) : run.status === "queued" ? "Not started" : "—"),
      fact("Finished", run.finished_at ? formatTime(run.finished_at) : runIsActive(run) ? "In progress" : "—"),
      fact("Products", p.products_total ? `${count(p.products_done)} of ${count(p.products_total)}` : "—"),
      fact(run.dry_run ? "Assets planned" : "Assets linked",
        run.dry_run ? count(p.assets_total) : `${count(p.assets_linked)} of ${count(p.assets_total)}`),
      fact("Failures", count(p.failures)),
      ...(run.cloud_name ? [fact("Cloudinary environment", run.cloud_name)] : []),
    );
    const errors = (run.errors || []).map((e) => (typeof e === "string" ? e : e.message || JSON.stringify(e)));
    $("#run-errors-list").replaceChildren(...errors.map((message) => {
      const item = document.createElement("s-list-item");
      item.textContent = message;
      return item;
    }));
    fallback.enhance($("#run-errors"));
    $("#run-errors").hidden = errors.length === 0;
    if (previous && runIsActive(previous) && !runIsActive(run)) {
      announce(status, `${runName(run)}: ${label}.`);
    }
  }

  function actionBadge(action) {
    const [done, planned, tone] = ROW_ACTIONS[action] || [action, action, "neutral"];
    return badge(run.dry_run ? planned : done, tone);
  }

  function detailsCell(row, label = "Details") {
    const cell = document.createElement("s-table-cell");
    cell.dataset.label = label;
    if (row.error) {
      const error = document.createElement("span");
      error.className = "critical";
      error.textContent = row.error;
      cell.append(error);
    }
    if (row.detail) {
      const detail = document.createElement("span");
      detail.className = "subdued" + (row.error ? " block" : "");
      detail.textContent = row.detail;
      cell.append(detail);
    }
    return cell;
  }

  function assetCell(row) {
    const cell = document.createElement("s-table-cell");
    cell.dataset.label = "Asset";
    const id = document.createElement("span");
    id.className = "mono";
    id.textContent = row.public_id || "—";
    cell.append(id);
    return cell;
  }

  // App Bridge resolves shopify://admin links to the admin page, in the
  // admin's own frame; without it, the admin's URL opens at the top.
  function productLink(product) {
    const title = product.product_title || product.product_id;
    if (!product.admin_path) return document.createTextNode(title);
    const link = document.createElement(polarisLoaded() ? "s-link" : "a");
    link.setAttribute("href", appBridge() ? `shopify://admin/${product.admin_path}` : product.admin_url);
    link.setAttribute("target", "_top");
    link.textContent = title;
    return link;
  }

  function productRows(product) {
    const productCell = (first) => {
      const cell = document.createElement("s-table-cell");
      cell.className = first ? "product-cell" : "product-cell continued";
      if (!first) {
        // Shown only where a narrow screen stacks the rows; read out everywhere.
        const repeat = document.createElement("span");
        repeat.className = "repeat";
        repeat.textContent = product.product_title || product.product_id;
        cell.append(repeat);
        return cell;
      }
      cell.append(productLink(product));
      // Said once: under the title unless a row already says it.
      if (product.error && !product.rows.some((item) => item.error === product.error)) {
        const error = document.createElement("span");
        error.className = "critical block";
        error.textContent = product.error;
        cell.append(error);
      }
      return cell;
    };
    if (product.rows.length === 0) {
      const row = document.createElement("s-table-row");
      row.className = "product-start";
      const [label, tone] = PRODUCT_WAITING[product.status] || [product.status || "—", "neutral"];
      const state = document.createElement("s-table-cell");
      state.dataset.label = "Action";
      state.append(badge(label, tone));
      row.append(productCell(true), textCell("—", "", "Asset"), state, textCell("", "numeric"),
        textCell("", "", "Details"));
      return [row];
    }
    return product.rows.map((item, index) => {
      const row = document.createElement("s-table-row");
      if (index === 0) row.className = "product-start";
      const action = document.createElement("s-table-cell");
      action.dataset.label = "Action";
      action.append(actionBadge(item.action));
      row.append(productCell(index === 0), assetCell(item), action,
        textCell(item.position == null ? "" : count(item.position), "numeric", "Position"), detailsCell(item));
      return row;
    });
  }

  function renderProducts(data, { append }) {
    const rows = data.products.flatMap(productRows);
    if (append) productsBody.append(...rows);
    else productsBody.replaceChildren(...rows);
    morePagesShown = append;
    fallback.enhance(productsBody);
    const any = productsBody.children.length > 0;
    $("#products-table").hidden = !any;
    const empty = $("#products-empty");
    empty.hidden = any;
    empty.textContent = runIsActive(run) ? "AssetLink is finding the products that match. They show up here as the run goes."
      : "This run didn't touch any product.";
    nextProductsAfter = data.next_products_after;
    productsMore.hidden = nextProductsAfter == null;
    if (!append) {
      $("#unmatched-body").replaceChildren(...data.unmatched.map((item) => {
        const row = document.createElement("s-table-row");
        const action = document.createElement("s-table-cell");
        action.dataset.label = "Action";
        action.append(actionBadge(item.action));
        row.append(assetCell(item), textCell(item.group_value || "—", "", "Match value"), action, detailsCell(item));
        return row;
      }));
      fallback.enhance($("#unmatched-section"));
      $("#unmatched-section").hidden = data.unmatched.length === 0;
    }
  }

  const poll = poller(load);
  const path = `/app/api/syncs/${encodeURIComponent(runId)}`;

  async function load() {
    try {
      const data = await api(path);
      const changed = JSON.stringify(data.sync) !== JSON.stringify(run);
      renderSummary(data.sync);
      // While a run goes on, its first page of products is redrawn when its
      // progress moved; pages opened with "Show more" stay until it ends.
      if (changed && (!morePagesShown || !runIsActive(data.sync))) renderProducts(data, { append: false });
      clearPageError();
      poll.set(runIsActive(data.sync));
      return data;
    } catch (error) {
      if (error.status === 404) {
        error.heading = "Run not found";
        $("#history-detail").querySelectorAll("s-section").forEach((section) => { section.hidden = true; });
      }
      showPageError(error);
      poll.set(error.status === 0 && run !== null && runIsActive(run));
      return null;
    }
  }

  productsMore.addEventListener("click", async () => {
    if (nextProductsAfter == null) return;
    setBusy(productsMore, true);
    try {
      renderProducts(await api(`${path}?products_after=${nextProductsAfter}`), { append: true });
    } catch (error) {
      showPageError(error);
    } finally {
      setBusy(productsMore, false);
    }
  });
  for (const [id, format] of [["#download-csv", "csv"], ["#download-json", "json"]]) {
    const button = $(id);
    button.addEventListener("click", () => downloadReport(runId, format, button, status));
  }

  $("#history-detail").hidden = false;
  load();
}

function historyPage() {
  const status = $("#history-status");
  const match = location.pathname.match(/^\/history\/([^/]+)\/?$/);
  if (match) historyDetailPage(decodeURIComponent(match[1]), status);
  else historyListPage(status);
}

// ---------------------------------------------------------------- start
fallback.enhance();
document.documentElement.classList.toggle("polaris-fallback", !polarisLoaded());
const page = document.body.dataset.page;
if (page === "settings") settingsPage();
else if (page === "home") homePage();
else if (page === "history") historyPage();
