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
    if (el.querySelector(":scope > .fallback-heading, :scope > .page-header")) return;
    const heading = document.createElement({ "S-PAGE": "h1", "S-SECTION": "h2" }[el.tagName] || "h3");
    heading.className = "fallback-heading";
    heading.textContent = el.getAttribute("heading");
    if (el.tagName !== "S-PAGE") {
      el.prepend(heading);
      return;
    }
    // Polaris' page header: the back action, the title, then the page's
    // actions (its breadcrumb-actions, primary-action and secondary-actions slots).
    const header = document.createElement("div");
    header.className = "page-header";
    const back = el.querySelector(':scope > [slot="breadcrumb-actions"]');
    if (back) {
      back.classList.add("page-back");
      back.setAttribute("aria-label", `Back to ${back.textContent.trim()}`);
      header.append(back);
    }
    header.append(heading);
    const actions = document.createElement("div");
    actions.className = "page-actions";
    actions.append(...el.querySelectorAll(':scope > [slot="secondary-actions"], :scope > [slot="primary-action"]'));
    if (actions.children.length) header.append(actions);
    el.prepend(header);
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
      if (href && el.getAttribute("target") === "_blank") window.open(href, "_blank", "noopener");
      else if (href) navigate(href);
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

// In the admin, App Bridge turns the app's own links into admin navigation.
// With Polaris but no App Bridge, a plain link would drop the embedded query
// (the server would then send the frame out to the admin): keep it.
document.addEventListener("click", (event) => {
  if (appBridge() || !polarisLoaded()) return;
  const link = event.target.closest?.('s-link[href^="/"]');
  if (!link) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
}, true);

// ---------------------------------------------------------------- API calls
class ApiError extends Error {
  constructor(status, problem, heading = "Something went wrong") {
    super((problem && (problem.detail || problem.title)) || `The request failed (HTTP ${status}).`);
    this.status = status;
    this.problem = problem;
    this.heading = heading;
  }
}

// The token the page was loaded with; replaced by a fresh one from the bounce.
let pageToken = document.querySelector('meta[name="assetlink-id-token"]')?.content || "";
const TOKEN_REFRESH_TIMEOUT_MS = 8000;

async function sessionToken() {
  const bridge = appBridge();
  return bridge ? bridge.idToken() : pageToken;
}

// The embedded query (shop, host, embedded) of this page, for the bounce.
function embeddedQuery(extra = {}) {
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const name of ["shop", "host", "embedded"]) {
    if (params.get(name)) query.set(name, params.get(name));
  }
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  return query.toString();
}

// Session tokens live a minute. Without App Bridge in this page, a fresh one
// comes through the bounce, as for a page load, but in a hidden frame: the
// bounce reloads /app/session-relay with a fresh id_token, and the relay
// hands it to this page. One refresh at a time; null when none came.
let refreshing = null;
function refreshTokenThroughBounce() {
  if (refreshing) return refreshing;
  refreshing = new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.title = "Session refresh";
    let timer = null;
    const onMessage = (event) => {
      if (event.origin !== location.origin || event.source !== frame.contentWindow) return;
      if (event.data?.type === "assetlink:id-token" && event.data.idToken) finish(event.data.idToken);
    };
    const finish = (token) => {
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      frame.remove();
      refreshing = null;
      resolve(token);
    };
    timer = setTimeout(() => finish(null), TOKEN_REFRESH_TIMEOUT_MS);
    window.addEventListener("message", onMessage);
    frame.src = `/auth/session-token?${embeddedQuery({ "shopify-reload": "/app/session-relay" })}`;
    document.body.append(frame);
  });
  return refreshing;
}

// The whole page through the bounce (its stale id_token makes the server
// bounce it): the last resort when no fresh token came in the page.
function reloadThroughBounce() {
  location.assign(location.pathname + location.search);
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
  // A stale token: get a fresh one (from App Bridge, else through the
  // bounce) and retry once.
  if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) {
    if (appBridge()) {
      response = await send();
    } else {
      const fresh = await refreshTokenThroughBounce();
      if (fresh) {
        pageToken = fresh;
        response = await send();
      }
    }
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (response.status === 401) {
    if (response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) {
      const error = new ApiError(401, { detail: "Your Shopify session expired and couldn't be refreshed here. "
        + "Reload to continue: nothing you did is lost." }, "Session expired");
      error.reload = true;
      throw error;
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
  let reload = $('[data-role="reload"]', banner);
  if (error.reload && !reload) {
    reload = document.createElement("s-button");
    reload.dataset.role = "reload";
    reload.textContent = "Reload";
    reload.addEventListener("click", reloadThroughBounce);
    banner.append(reload);
    fallback.enhance(banner);
  }
  if (reload) reload.hidden = !error.reload;
  banner.hidden = false;
}

function clearPageError() {
  const banner = $("#page-error");
  if (banner) banner.hidden = true;
}

const STATUS_CLEAR_MS = 6000;
const clearTimers = new WeakMap();

// A status message: read out, shown as a toast (App Bridge's in the admin,
// else the page's own), and cleared after a few seconds.
function announce(region, message, { tone = "success" } = {}) {
  region.textContent = "";
  // A fresh text node, so screen readers announce a repeated message too.
  requestAnimationFrame(() => { region.textContent = message; });
  clearTimeout(clearTimers.get(region));
  clearTimers.set(region, setTimeout(() => { region.textContent = ""; }, STATUS_CLEAR_MS));
  const bridge = appBridge();
  if (bridge?.toast) bridge.toast.show(message, { isError: tone === "critical" });
  else toast(message, tone);
}

function toast(message, tone) {
  let host = $("#toasts");
  if (!host) {
    host = document.createElement("div");
    host.id = "toasts";
    host.className = "toasts";
    host.setAttribute("aria-hidden", "true");  // the status region reads it out
    document.body.append(host);
  }
  const item = document.createElement("div");
  item.className = `toast toast-${tone}`;
  item.textContent = message;
  host.append(item);
  setTimeout(() => item.remove(), STATUS_CLEAR_MS);
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
  showTab(["#api-keys", "#files", "#automation"].includes(location.hash) ? location.hash.slice(1) : "connection");

  // ---- Files clean-up (opt-in; admin-undo's /app/api/files/cleanup/settings)
  const cleanupBox = $("#cleanup-enabled");
  const cleanupStatus = $("#cleanup-status");
  async function loadCleanup() {
    try {
      const { enabled } = await api("/app/api/files/cleanup/settings");
      cleanupBox.checked = enabled;
      cleanupBox.disabled = false;
    } catch (error) {
      if (error.status !== 404) showPageError(error);  // 404: this server has no clean-up yet
    }
  }
  cleanupBox.addEventListener("change", async () => {
    const enabled = cleanupBox.checked;
    cleanupBox.disabled = true;
    try {
      await api("/app/api/files/cleanup/settings", { method: "PUT", body: { enabled } });
      announce(cleanupStatus, enabled ? "Clean-up is on: Sync history can remove AssetLink's unused files."
        : "Clean-up is off: AssetLink removes no file.");
    } catch (error) {
      cleanupBox.checked = !enabled;
      showPageError(error);
    } finally {
      cleanupBox.disabled = false;
    }
  });
  loadCleanup();

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
    // A new API key delivers from one environment: the choice matters only with several.
    const envSelect = $("#api-key-env");
    const chosen = envSelect.value;
    envSelect.replaceChildren(...data.environments.map((env) => {
      const option = document.createElement("option");
      option.value = env.cloud_name;
      option.textContent = env.label ? `${env.cloud_name} (${env.label})` : env.cloud_name;
      option.selected = env.cloud_name === chosen;
      return option;
    }));
    $("#api-key-env-wrap").hidden = data.environments.length < 2;
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
      row.append(textCell(key.label, "strong"), prefix, textCell(key.cloud_name || "—", "", "Environment"),
        timeCell(key.created_at, "Created"),
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
      const body = { label };
      if (!$("#api-key-env-wrap").hidden) body.cloud_name = $("#api-key-env").value;
      const created = await api("/app/api/api-keys", { method: "POST", body });
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

// ---------------------------------------------------------------- runs (shared)
const RUN_KINDS = {
  sync: "Link to Products", upload: "Upload to Files", unlink: "Unlink", undo: "Undo", cleanup: "Files clean-up",
};
// Automation runs (source "automation") say what started them.
const RUN_TRIGGERS = { upload: "upload", delete: "deletion", new_product: "new product", daily: "daily check" };
const automationBadge = (run) => (run.source === "automation"
  ? [badge(`Automation: ${RUN_TRIGGERS[run.trigger] || run.trigger}`, "info")] : []);
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
  created: ["Added", "Would add", "success"],
  replaced: ["Refreshed", "Would refresh", "info"],
  moved: ["Moved", "Would move", "info"],
  unchanged: ["Already in place", "Already in place", "neutral"],
  removed: ["Removed", "Would remove", "warning"],
  skipped: ["Skipped", "Would skip", "caution"],
  failed: ["Failed", "Would fail", "critical"],
};
const FILE_ACTIONS = {
  created: ["Created", "success"], unchanged: ["Reused", "neutral"], skipped: ["Skipped", "caution"],
  failed: ["Failed", "critical"],
};
// A clean-up's files: [label, label in a preview, tone].
const CLEANUP_ACTIONS = {
  removed: ["Removed", "Would remove", "warning"], skipped: ["Kept", "Kept", "success"],
  unchanged: ["Already gone", "Already gone", "neutral"], failed: ["Failed", "Would fail", "critical"],
};
const FILE_KINDS = ["upload", "cleanup"];
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

const clockFormat = shortDateFormats.time;

function runName(run) {
  return run.title || `${RUN_KINDS[run.kind] || run.kind} run of ${dateFormat.format(new Date(run.created_at))}`;
}

// [done, total, noun] of the run's work: files for an upload, products otherwise.
function workDone(run) {
  if (run.kind === "cleanup") {
    return [run.progress.products_done, run.progress.products_total, ["file", "files"]];
  }
  if (run.kind === "upload") {
    const done = Object.values(run.counts || {}).reduce((sum, n) => sum + n, 0);
    return [done, run.progress.assets_total, ["file", "files"]];
  }
  return [run.progress.products_done, run.progress.products_total, ["product", "products"]];
}

function productsText(run) {
  const [done, total, [one, many]] = workDone(run);
  if (run.status === "queued") return "Waiting to start";
  if (total === 0) return runIsActive(run) ? `Finding ${many}…` : `No ${many}`;
  if (!runIsActive(run) && run.kind === "upload") return `${count(total)} ${total === 1 ? one : many}`;
  return `${count(done)} of ${count(total)} ${total === 1 ? one : many}`;
}

function progressBlock(run) {
  const block = document.createElement("div");
  block.className = "progress-block";
  const [done, total] = workDone(run);
  if (run.status === "running") block.append(progressBar(done, total, `${runName(run)}: ${productsText(run)}`));
  const text = document.createElement("span");
  text.className = "progress-text";
  text.textContent = productsText(run);
  block.append(text);
  return block;
}

// Why a run isn't moving, or what it did: one sentence and a tone.
function runStatusLine(run) {
  if (run.status === "queued") {
    if (run.waiting_behind) {
      return { tone: "info", text: `Waiting for “${run.waiting_behind.title}” to finish: a store's runs go one at a time.`,
        link: run.waiting_behind.id };
    }
    return { tone: "info", text: "Starting…" };
  }
  if (run.status === "running" && run.retry) {
    const at = clockFormat.format(new Date(run.retry.retry_at));
    return { tone: "warning",
      text: `Interrupted: ${run.retry.reason}. AssetLink tries again at ${at} (attempt ${run.retry.attempt} of ${run.retry.attempts_max}); what was done is kept.` };
  }
  if (run.status === "running" && run.retried) {
    return { tone: "info", text: `Going on after ${run.retried.attempts === 1 ? "an interruption" : `${count(run.retried.attempts)} interruptions`} (last: ${run.retried.reason}).` };
  }
  if (run.status === "failed" && run.errors?.length) {
    const first = run.errors[0];
    return { tone: "critical", text: typeof first === "string" ? first : first.message || JSON.stringify(first) };
  }
  return run.outcome || null;
}

function statusLineElement(line, className = "status-line") {
  const el = document.createElement("span");
  el.className = `${className} tone-${line.tone}`;
  el.textContent = line.text;
  if (line.link) {
    el.append(" ");
    const view = document.createElement("a");
    view.href = `/history/${line.link}`;
    view.textContent = "View it";
    view.addEventListener("click", (event) => {
      event.preventDefault();
      navigate(view.getAttribute("href"));
    });
    el.append(view);
  }
  return el;
}

// Abort, Retry and Undo as admin-undo's endpoints offer them (run.actions);
// before those land, what the status allows.
function runActions(run) {
  if (run.actions) return run.actions;
  return { abort: runIsActive(run), retry: run.status === "failed" || run.status === "aborted", undo: false,
    undo_refused: [] };
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

function showLoaded() {
  document.querySelectorAll("[data-loading]").forEach((el) => { el.hidden = true; });
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

// A run action (Abort, Retry, Undo, clean-up): confirm, POST, then show the
// run it started (or this one again).
async function runAction({ path, body, button, status, confirm, done, onDone }) {
  if (confirm && !(await confirmAction(confirm))) return;
  setBusy(button, true);
  try {
    const result = await api(path, { method: "POST", body });
    announce(status, done);
    clearPageError();
    await onDone(result);
  } catch (error) {
    if (error.status === 404 && !error.problem?.detail) {
      error.message = "This action isn't available on this server yet.";
    }
    showPageError(error);
  } finally {
    setBusy(button, false);
  }
}

// ---------------------------------------------------------------- history list
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
    title.textContent = runName(run);
    name.append(title);
    const source = document.createElement("span");
    source.className = "subdued block";
    source.textContent = `${RUN_KINDS[run.kind] || run.kind} · ${run.source_label || run.cloud_name || "Cloudinary"}`;
    name.append(source);

    const state = document.createElement("s-table-cell");
    state.dataset.label = "Status";
    state.className = "status-cell";
    const [label, tone] = RUN_STATUSES[run.status] || [run.status, "neutral"];
    state.append(badge(label, tone));
    if (run.dry_run) state.append(" ", badge("Dry run", "info"));
    if (run.retry) state.append(" ", badge("Retrying", "warning"));
    for (const auto of automationBadge(run)) state.append(" ", auto);

    const result = document.createElement("s-table-cell");
    result.dataset.label = "Result";
    result.className = "progress-cell";
    if (runIsActive(run)) result.append(progressBlock(run));
    const line = runStatusLine(run);
    if (line) result.append(statusLineElement(line));

    const view = document.createElement("s-button");
    view.textContent = "View";
    view.setAttribute("variant", "tertiary");
    view.setAttribute("accessibilityLabel", `View ${runName(run)}`);
    view.dataset.appHref = `/history/${run.id}`;
    const actions = document.createElement("s-table-cell");
    actions.className = "actions";
    actions.append(view);

    row.append(name, state, shortTimeCell(run.created_at, "Requested"), result, actions);
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
          announce(status, `${runName(run)}: ${RUN_STATUSES[run.status]?.[0] || run.status}.`,
            { tone: run.status === "failed" ? "critical" : "success" });
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
        showLoaded();
      }
      clearPageError();
      poll.set(shownActive());
    } catch (error) {
      showLoaded();
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

  // Files clean-up (admin-undo's job): a preview first, then the removal.
  for (const [id, dryRun] of [["#cleanup-preview", true], ["#cleanup-run", false]]) {
    const button = $(id);
    button?.addEventListener("click", () => runAction({
      path: "/app/api/files/cleanup", body: { dry_run: dryRun }, button, status,
      confirm: dryRun ? null : {
        heading: "Remove AssetLink files no product uses?",
        body: "AssetLink checks every file it created in Shopify Files and deletes only those no product, variant "
          + "or metafield uses any more. Files you added yourself are never touched. Run the preview first to see the list.",
        action: "Remove files",
      },
      done: dryRun ? "Preview started." : "Clean-up started.",
      onDone: (result) => navigate(`/history/${result.id}`),
    }));
  }

  $("#history-list").hidden = false;
  refresh();
}

// ---------------------------------------------------------------- one run
function historyDetailPage(runId, status) {
  const productsBody = $("#products-body");
  const productsMore = $("#products-more");
  const pageEl = $("#run-page");
  let run = null;
  let nextProductsAfter = null;
  let morePagesShown = false;

  function setHeading(text) {
    pageEl.setAttribute("heading", text);
    const fallbackHeading = pageEl.querySelector(".fallback-heading");
    if (fallbackHeading) fallbackHeading.textContent = text;
    document.title = `${text} · AssetLink`;
  }

  function fact(term, ...value) {
    const wrap = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.append(...value);
    wrap.append(dt, dd);
    return wrap;
  }

  function countsFacts(current) {
    const c = current.counts || {};
    const p = current.progress;
    if (current.kind === "upload") {
      return [fact("Files created", count(c.created || 0)), fact("Reused", count(c.unchanged || 0)),
        fact("Failed", count(c.failed || 0))];
    }
    if (current.kind === "cleanup") {
      return [fact("Files checked", p.products_total ? `${count(p.products_done)} of ${count(p.products_total)}` : "—"),
        fact(current.dry_run ? "Would remove" : "Removed", count(c.removed || 0)), fact("Kept", count(c.skipped || 0)),
        fact("Already gone", count(c.unchanged || 0)), fact("Failed", count(c.failed || 0))];
    }
    if (current.kind === "unlink") {
      return [fact("Products", p.products_total ? `${count(p.products_done)} of ${count(p.products_total)}` : "—"),
        fact(current.dry_run ? "To remove" : "Assets removed", count(c.removed || 0)), fact("Failed", count(c.failed || 0))];
    }
    const written = ["created", "replaced", "moved"].reduce((sum, word) => sum + (c[word] || 0), 0);
    return [
      fact("Products", p.products_total ? `${count(p.products_done)} of ${count(p.products_total)}` : "—"),
      fact(current.dry_run ? "To add, refresh or move" : "Added, refreshed or moved", count(written)),
      fact("Already in place", count(c.unchanged || 0)),
      fact(current.dry_run ? "To remove" : "Removed", count(c.removed || 0)),
      fact("Failed", count(c.failed || 0)),
    ];
  }

  function renderActions(current) {
    const actions = runActions(current);
    const abort = $("#action-abort");
    const retry = $("#action-retry");
    const undo = $("#action-undo");
    abort.hidden = !actions.abort;
    retry.hidden = !actions.retry;
    // The same request again: a retry after a failure, else a new run of it.
    retry.textContent = current.status === "failed" || current.status === "aborted" ? "Retry" : "Run again";
    undo.hidden = !actions.undo;
    const refused = actions.undo_refused || [];
    const note = $("#undo-refused");
    $("#undo-refused-list").replaceChildren(...refused.map((item) => {
      const li = document.createElement("s-list-item");
      li.textContent = typeof item === "string" ? item
        : `${item.product_title || item.product_id || "A product"}: ${item.reason || "changed since this run"}`;
      return li;
    }));
    fallback.enhance(note);
    note.hidden = refused.length === 0;
  }

  function renderSummary(current) {
    const previous = run;
    run = current;
    setHeading(runName(run));
    const [label, tone] = RUN_STATUSES[run.status] || [run.status, "neutral"];
    const badges = $("#run-badges");
    badges.replaceChildren(badge(label, tone), ...(run.dry_run ? [badge("Dry run", "info")] : []),
      badge(RUN_KINDS[run.kind] || run.kind, "neutral"), ...automationBadge(run));
    badges.querySelector("s-badge").id = "run-status";
    const line = runStatusLine(run);
    $("#run-line").replaceChildren(...(line ? [statusLineElement(line, "status-line lead")] : []));
    const progress = $("#run-progress");
    progress.replaceChildren(progressBlock(run));
    progress.hidden = !runIsActive(run);
    const undoes = [];
    if (run.undo_of) {
      const link = document.createElement("a");
      link.href = `/history/${run.undo_of.id}`;
      link.textContent = run.undo_of.title;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        navigate(link.getAttribute("href"));
      });
      undoes.push(fact("Undoes", link));
    }
    $("#run-facts").replaceChildren(
      ...undoes,
      fact("Source", run.source_label || run.cloud_name || "Cloudinary"),
      ...(run.facts || []).map((f) => fact(f.label, f.value)),
      fact("Requested", formatTime(run.created_at)),
      fact("Started", run.started_at ? formatTime(run.started_at) : run.status === "queued" ? "Not started" : "—"),
      fact("Finished", run.finished_at ? formatTime(run.finished_at) : runIsActive(run) ? "In progress" : "—"),
      ...countsFacts(run),
      ...(run.retried && !run.retry ? [fact("Interruptions", `${count(run.retried.attempts)} (last: ${run.retried.reason})`)] : []),
    );
    const errors = (run.errors || []).map((e) => (typeof e === "string" ? e : e.message || JSON.stringify(e)));
    $("#run-errors-list").replaceChildren(...errors.map((message) => {
      const item = document.createElement("s-list-item");
      item.textContent = message;
      return item;
    }));
    fallback.enhance($("#run-errors"));
    $("#run-errors").hidden = errors.length === 0;
    renderActions(run);
    if (previous && runIsActive(previous) && !runIsActive(run)) {
      announce(status, `${runName(run)}: ${label}.`, { tone: run.status === "failed" ? "critical" : "success" });
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

  // The asset: its Cloudinary thumbnail and public ID. Merchant media
  // AssetLink took off has no public ID: it is named by what the report has.
  function assetCell(row) {
    const cell = document.createElement("s-table-cell");
    cell.dataset.label = "Asset";
    cell.className = "asset-cell";
    const thumb = document.createElement("span");
    thumb.className = "thumb";
    if (row.thumbnail_url) {
      const img = document.createElement("img");
      img.src = row.thumbnail_url;
      img.alt = "";
      img.width = 40;
      img.height = 40;
      img.loading = "lazy";
      img.decoding = "async";
      img.addEventListener("error", () => { img.remove(); thumb.classList.add("thumb-missing"); }, { once: true });
      thumb.append(img);
    } else {
      thumb.classList.add("thumb-missing");
    }
    const id = document.createElement("span");
    id.className = row.public_id ? "mono" : "merchant-media";
    if (row.public_id) id.textContent = row.public_id;
    else if (row.media_alt) id.textContent = `Your media “${row.media_alt}”`;
    else if (row.media_file) id.textContent = `Your media file “${row.media_file}”`;
    else id.textContent = row.media_id ? "Media added in Shopify (no alt text)" : "—";
    const wrap = document.createElement("span");
    wrap.className = "asset";
    wrap.append(thumb, id);
    cell.append(wrap);
    return cell;
  }

  // App Bridge resolves shopify://admin links to the admin page, in the
  // admin's own frame; without it, the admin's URL opens at the top.
  function adminLink(text, adminPath, adminUrl) {
    if (!adminPath) return document.createTextNode(text);
    const link = document.createElement(polarisLoaded() ? "s-link" : "a");
    link.setAttribute("href", appBridge() ? `shopify://admin/${adminPath}` : adminUrl);
    link.setAttribute("target", "_top");
    link.textContent = text;
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
      cell.append(adminLink(product.product_title || product.product_id, product.admin_path, product.admin_url));
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

  function fileRow(file) {
    const row = document.createElement("s-table-row");
    let [label, tone] = FILE_ACTIONS[file.action] || [file.action, "neutral"];
    if (run.kind === "cleanup") {
      const [done, planned, cleanupTone] = CLEANUP_ACTIONS[file.action] || [file.action, file.action, "neutral"];
      [label, tone] = [run.dry_run ? planned : done, cleanupTone];
    }
    const result = document.createElement("s-table-cell");
    result.dataset.label = "Result";
    result.append(badge(label, tone));
    const where = document.createElement("s-table-cell");
    where.dataset.label = "In Shopify";
    const gone = run.kind === "cleanup" && (file.action === "unchanged" || (file.action === "removed" && !run.dry_run));
    if (file.admin_path && !gone) where.append(adminLink("Open in Files", file.admin_path, file.admin_url));
    if (file.file_url) {
      const open = document.createElement("a");
      open.href = file.file_url;
      open.target = "_blank";
      open.rel = "noopener";
      open.className = "file-link";
      open.textContent = "View file";
      where.append(where.childNodes.length ? " · " : "", open);
    }
    if (!where.childNodes.length) where.textContent = "—";
    row.append(assetCell(file), result, where, detailsCell(file));
    return row;
  }

  function renderProducts(data, { append }) {
    const isFiles = FILE_KINDS.includes(run.kind);
    $("#products-section").hidden = isFiles;
    $("#files-section").hidden = !isFiles;
    if (isFiles) {
      const heading = run.kind === "cleanup" ? "Files AssetLink created, checked" : "Files created in Shopify Files";
      const section = $("#files-section");
      section.setAttribute("heading", heading);
      const fallbackHeading = section.querySelector(":scope > .fallback-heading");
      if (fallbackHeading) fallbackHeading.textContent = heading;
      $("#files-body").replaceChildren(...(data.files || []).map(fileRow));
      fallback.enhance($("#files-section"));
      const anyFiles = (data.files || []).length > 0;
      $("#files-table").hidden = !anyFiles;
      $("#files-empty").hidden = anyFiles;
      $("#files-empty").textContent = runIsActive(run) ? "Files show up here as AssetLink works on them."
        : run.kind === "cleanup" ? "AssetLink has created no file in Shopify Files, so there was nothing to check."
          : "This upload created no file.";
      return;
    }
    const rows = data.products.flatMap(productRows);
    if (append) productsBody.append(...rows);
    else productsBody.replaceChildren(...rows);
    morePagesShown = append;
    fallback.enhance(productsBody);
    const any = productsBody.children.length > 0;
    $("#products-table").hidden = !any;
    const empty = $("#products-empty");
    empty.hidden = any;
    $("#products-empty-text").textContent = runIsActive(run)
      ? "AssetLink is finding the products that match. They show up here as the run goes."
      : "This run didn't touch any product. Check that the match values in Cloudinary are the ones your products have.";
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
      showLoaded();
      $("#run-content").hidden = false;
      clearPageError();
      poll.set(runIsActive(data.sync));
      return data;
    } catch (error) {
      showLoaded();
      if (error.status === 404) {
        error.heading = "Run not found";
        setHeading("Run not found");
        $("#run-content").hidden = true;
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

  // Abort, Retry, Undo: admin-undo's endpoints (POST /app/api/syncs/<id>/<action>).
  const followRun = async (result) => {
    if (result?.id && result.id !== runId) navigate(`/history/${result.id}`);
    else await load();
  };
  const actionButtons = [
    ["#action-abort", "abort", () => ({
      heading: "Abort this run?", action: "Abort run",
      body: "AssetLink stops before the next product. What was already done stays done and is in the report; "
        + "Undo can put it back.",
    }), "Abort requested: the run stops before its next product."],
    ["#action-retry", "retry", () => null, "Started: the same request runs again as a new run."],
    ["#action-undo", "undo", () => ({
      heading: "Undo this run?", action: "Undo run",
      body: "Every product this run touched goes back to how it was before it: gallery order, media AssetLink added, "
        + "metafields, swatches and variant images. Media you added yourself are never deleted. Products changed since "
        + "are left alone and listed.",
    }), "Undo started."],
  ];
  for (const [id, action, confirm, done] of actionButtons) {
    const button = $(id);
    button.addEventListener("click", () => runAction({
      path: `${path}/${action}`, button, status, confirm: confirm(), done, onDone: followRun,
    }));
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

// ---------------------------------------------------------------- home
const STEP_STATES = { done: ["Done", "success"], todo: ["To do", "warning"], check: ["Check", "info"] };

async function homePage() {
  const status = $("#home-status");
  function stepItem(step) {
    const item = document.createElement("li");
    item.className = `step step-${step.state}`;
    item.dataset.step = step.id;
    const mark = document.createElement("span");
    mark.className = "step-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = step.state === "done" ? "✓" : step.state === "check" ? "?" : "";
    const text = document.createElement("div");
    text.className = "step-text";
    const title = document.createElement("span");
    title.className = "step-title";
    title.textContent = step.title;
    const [label, tone] = STEP_STATES[step.state] || [step.state, "neutral"];
    const desc = document.createElement("span");
    desc.className = "subdued block";
    desc.textContent = step.text;
    text.append(title, " ", badge(label, tone), desc);
    item.append(mark, text);
    if (step.action) {
      const button = document.createElement("s-button");
      button.textContent = step.action.label;
      if (step.state === "todo") button.setAttribute("variant", "primary");
      if (step.action.app_href) button.dataset.appHref = step.action.app_href;
      else {
        button.setAttribute("href", step.action.url);
        button.setAttribute("target", "_blank");
      }
      const wrap = document.createElement("div");
      wrap.className = "step-action";
      wrap.append(button);
      item.append(wrap);
    }
    return item;
  }
  try {
    const data = await api("/app/api/home");
    const steps = data.checklist;
    const done = steps.filter((s) => s.state === "done").length;
    $("#checklist-progress").textContent = `${done} of ${steps.length} steps done`;
    $("#checklist").replaceChildren(...steps.map(stepItem));
    const last = $("#last-run");
    if (data.last_run) {
      const run = data.last_run;
      const [label, tone] = RUN_STATUSES[run.status] || [run.status, "neutral"];
      const title = document.createElement("span");
      title.className = "run-title block";
      title.textContent = runName(run);
      const meta = document.createElement("span");
      meta.className = "subdued block";
      meta.append(`${run.source_label || ""} · `, formatTime(run.created_at));
      const line = runStatusLine(run);
      last.replaceChildren(badge(label, tone), title, meta, ...(line ? [statusLineElement(line)] : []));
      $("#last-run-view").dataset.appHref = `/history/${run.id}`;
      $("#last-run-view").hidden = false;
    } else {
      last.replaceChildren(Object.assign(document.createElement("span"), {
        className: "subdued", textContent: "No run yet. Runs start in Cloudinary: select assets in the Media Library and choose Shopify AssetLink." }));
      $("#last-run-view").hidden = true;
    }
    const envs = data.environments.map((env) => (env.label ? `${env.cloud_name} (${env.label})` : env.cloud_name));
    status.textContent = envs.length ? `Connected to Cloudinary: ${envs.join(", ")}.`
      : "This store isn't connected to Cloudinary yet.";
    $("#link-help").setAttribute("href", data.links.help);
    $("#link-cloudinary").setAttribute("href", data.links.cloudinary);
    fallback.enhance($("#home-content"));
    showLoaded();
    $("#home-content").hidden = false;
  } catch (error) {
    showLoaded();
    status.textContent = "";
    showPageError(error);
  }
}

// ---------------------------------------------------------------- start
fallback.enhance();
document.documentElement.classList.toggle("polaris-fallback", !polarisLoaded());
const page = document.body.dataset.page;
if (page === "settings") settingsPage();
else if (page === "home") homePage();
else if (page === "history") historyPage();
