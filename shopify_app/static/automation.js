// Settings → Automation (issue 10.8): whether automation is on, its rules in
// words, the last notifications and what each did, pause and resume.
// Data from /app/api/automation, authenticated like the rest of the admin
// (App Bridge's session token, or the one the page was loaded with).

const tokenFromPage = document.querySelector('meta[name="assetlink-id-token"]')?.content || "";
const sessionToken = async () => (window.shopify && typeof window.shopify.idToken === "function"
  ? window.shopify.idToken() : tokenFromPage);

async function call(path, method = "GET") {
  const response = await fetch(path, { method, headers: { Accept: "application/json",
    Authorization: `Bearer ${await sessionToken()}` } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error((body && body.detail) || `AssetLink answered ${response.status}`);
  return body;
}

const STATUS = { active: ["On", "success"], paused: ["Paused", "warning"], off: ["Off", "neutral"],
  credentials_invalid: ["Cloudinary refuses the credentials", "critical"] };
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");

function render(automations) {
  const list = document.getElementById("automation-list");
  const template = document.getElementById("automation-item");
  const shown = automations.filter((a) => a.status !== "off");
  document.getElementById("automation-empty").hidden = shown.length > 0;
  list.replaceChildren(...shown.map((automation) => {
    const item = template.content.cloneNode(true);
    const role = (name) => item.querySelector(`[data-role="${name}"]`);
    role("cloud").textContent = `Cloudinary environment ${automation.cloud_name}`;
    const [label, tone] = STATUS[automation.status] || [automation.status, "neutral"];
    role("status").textContent = label;
    role("status").setAttribute("tone", tone);
    role("schedule").textContent = `${automation.schedule === "daily" ? "Checked against Cloudinary every day. "
      : ""}Last notification: ${when(automation.last_event_at)}. Last run: ${when(automation.last_run_at)}.`;
    role("rules").replaceChildren(...automation.rules.map((words) => {
      const li = document.createElement("li");
      li.textContent = words;
      return li;
    }));
    // Polaris's button when it loaded, a native one when cdn.shopify.com is unreachable.
    const toggle = document.createElement(customElements.get("s-button") ? "s-button" : "button");
    toggle.type = "button";
    role("toggle-slot").replaceWith(toggle);
    const paused = automation.status === "paused";
    toggle.textContent = paused ? "Resume" : "Pause";
    toggle.addEventListener("click", async () => {
      toggle.setAttribute("loading", "");
      try {
        await call(`/app/api/automation/${automation.id}/${paused ? "resume" : "pause"}`, "POST");
        await load();
      } catch (error) {
        toggle.removeAttribute("loading");
        toggle.textContent = error.message;
      }
    });
    role("no-events").hidden = automation.events.length > 0;
    role("events").replaceChildren(...automation.events.map((event) => {
      const li = document.createElement("li");
      const ids = event.public_ids.length ? ` ${event.public_ids.join(", ")}` : "";
      li.textContent = `${when(event.received_at)} · ${event.type}${ids} → ${event.did}`;
      li.dataset.outcome = event.outcome;
      return li;
    }));
    return item;
  }));
}

async function load() {
  try {
    render((await call("/app/api/automation")).automations);
  } catch (error) {
    const empty = document.getElementById("automation-empty");
    empty.hidden = false;
    empty.textContent = `Automation couldn't be loaded: ${error.message}`;
  }
}

load();
