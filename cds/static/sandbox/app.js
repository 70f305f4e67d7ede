// The sandbox page: builds a hook call from a record Bundle (POST /sandbox/request, the same
// builder as `cds evaluate`), sends it to the real service and renders the cards as an EHR would.
// Safety: text from the service is never put into innerHTML. Markdown is rendered by building
// DOM nodes from a small subset; the referral letter (XHTML we generate) goes into an iframe
// sandboxed without scripts.
"use strict";

const ORDER_TYPES = new Set([
  // cds/record/bundle.py _ORDER_TYPES: what order hooks carry in draftOrders
  "ServiceRequest", "MedicationRequest", "NutritionOrder", "DeviceRequest",
  "VisionPrescription", "CommunicationRequest",
]);
const EXAMPLES_TODAY = "2026-11-20";
const INDICATORS = { info: "Info", warning: "Advarsel", critical: "Kritisk" };

const $ = (id) => document.getElementById(id);
const state = { examples: [], serverToday: "", services: [], drafts: [], response: null, serviceId: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

// --- markdown subset: paragraphs, line breaks, > quotes, - / * / 1. lists, **bold**, *italic*,
// links, backslash escapes ---

function safeHref(url) {
  // http(s) or a relative reference only: no javascript:, data: or other schemes.
  if (/^https?:\/\//i.test(url)) return url;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith("//")) return url;
  return null;
}

// Alternatives: a backslash escape, **bold**, *italic*, _italic_, [label](url).
const INLINE = /\\([\\`*_{}[\]()#+\-.!<>|~])|\*\*(.+?)\*\*|\*(.+?)\*|(?<![\p{L}\p{N}])_(.+?)_(?![\p{L}\p{N}])|\[([^\]]+)\]\(([^)\s]+)\)/u;

function renderInline(text, parent) {
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      parent.append(document.createTextNode(rest));
      break;
    }
    if (match.index > 0) parent.append(document.createTextNode(rest.slice(0, match.index)));
    if (match[1] !== undefined) parent.append(document.createTextNode(match[1]));
    else if (match[2] !== undefined) renderInline(match[2], parent.appendChild(el("strong")));
    else if (match[3] !== undefined || match[4] !== undefined) {
      renderInline(match[3] ?? match[4], parent.appendChild(el("em")));
    } else {
      const href = safeHref(match[6]);
      if (href === null) parent.append(document.createTextNode(match[0]));
      else renderInline(match[5], parent.appendChild(el("a", { href, rel: "noopener noreferrer", target: "_blank" })));
    }
    rest = rest.slice(match.index + match[0].length);
  }
}

function renderMarkdown(source) {
  const root = el("div", { class: "markdown" });
  let paragraph = null;
  let list = null;
  let quote = null;
  for (const raw of String(source).split(/\r?\n/)) {
    let line = raw.trimEnd();
    const quoted = /^\s*>\s?(.*)$/.exec(line);
    if (quoted) {
      if (!quote) {
        quote = root.appendChild(el("blockquote"));
        paragraph = null;
        list = null;
      }
      line = quoted[1];
    } else if (quote) {
      quote = null;
      paragraph = null;
      list = null;
    }
    const parent = quote || root;
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (!line.trim()) {
      paragraph = null;
      list = null;
    } else if (bullet || numbered) {
      paragraph = null;
      const tag = bullet ? "ul" : "ol";
      if (!list || list.tagName.toLowerCase() !== tag) list = parent.appendChild(el(tag));
      renderInline((bullet || numbered)[1], list.appendChild(el("li")));
    } else {
      list = null;
      if (paragraph) paragraph.append(el("br"));
      else paragraph = parent.appendChild(el("p"));
      renderInline(line.trim(), paragraph);
    }
  }
  return root;
}

// --- HTTP ---

async function call(method, url, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

function problem(result) {
  const issues = result.data && Array.isArray(result.data.issue) ? result.data.issue : [];
  const text = issues.map((issue) => issue.diagnostics).filter(Boolean).join("; ");
  return `HTTP ${result.status}${text ? ": " + text : ""}`;
}

// --- record and drafts ---

function currentBundle() {
  const text = $("bundle").value.trim();
  if (!text) throw new Error("Velg en eksempelpasient, eller lim inn eller last opp en FHIR Bundle.");
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("Bundlen er ikke gyldig JSON.");
  }
}

function isDraftOrder(resource) {
  // cds.record.bundle.is_draft_order
  return !!resource && ORDER_TYPES.has(resource.resourceType) && resource.status === "draft";
}

function selectedService() {
  return state.services.find((service) => service.id === $("service").value);
}

function refreshDrafts() {
  const service = selectedService();
  const orderHook = !!service && service.hook !== "patient-view";
  $("drafts").hidden = !orderHook;
  state.drafts = [];
  let bundle = null;
  try {
    bundle = JSON.parse($("bundle").value);
  } catch {
    bundle = null;
  }
  const entries = bundle && Array.isArray(bundle.entry) ? bundle.entry : [];
  entries.forEach((entry, index) => {
    if (entry && isDraftOrder(entry.resource)) state.drafts.push(index);
  });
  const select = $("draft");
  select.replaceChildren();
  for (const index of state.drafts) {
    const resource = entries[index].resource;
    const label = (resource.code && resource.code.text) || `${resource.resourceType}/${resource.id || index}`;
    select.append(el("option", { value: String(index), text: label }));
  }
  $("no-drafts").hidden = state.drafts.length > 0;
  select.disabled = state.drafts.length === 0;
  $("draft-json").disabled = state.drafts.length === 0;
  showDraft(entries);
}

function showDraft(entries) {
  const index = Number($("draft").value);
  const entry = state.drafts.length ? entries[index] : null;
  $("draft-json").value = entry ? JSON.stringify(entry.resource, null, 2) : "";
}

function bundleForCall(bundle, hook) {
  // Order hooks: only the chosen draft, as edited, goes along; the other drafts are left out.
  if (hook === "patient-view" || !state.drafts.length || !Array.isArray(bundle.entry)) return bundle;
  const chosen = Number($("draft").value);
  let edited;
  try {
    edited = JSON.parse($("draft-json").value);
  } catch {
    throw new Error("Utkastet er ikke gyldig JSON.");
  }
  const entry = bundle.entry
    .map((item, index) => (index === chosen ? { ...item, resource: edited } : item))
    .filter((item, index) => index === chosen || !state.drafts.includes(index));
  return { ...bundle, entry };
}

// --- running a hook ---

async function run() {
  const service = selectedService();
  if (!service) return setStatus("Ingen tjeneste valgt.", true);
  let bundle;
  try {
    bundle = bundleForCall(currentBundle(), service.hook);
  } catch (error) {
    return setStatus(error.message, true);
  }
  setStatus("Bygger forespørselen …");
  const built = await call("POST", "/sandbox/request", { bundle, hook: service.hook });
  if (!built.ok) return setStatus(`Kunne ikke bygge forespørselen (${problem(built)}).`, true);
  $("request-json").textContent = JSON.stringify(built.data, null, 2);
  setStatus("Kaller tjenesten …");
  const params = new URLSearchParams();
  if ($("explain-wanted").checked) params.set("explain", "true");
  // A date other than the service's own: the sandbox route evaluates the same call at that date.
  const today = $("today").value;
  const atDate = today && today !== state.serverToday;
  if (atDate) params.set("today", today);
  const path = `${atDate ? "/sandbox" : ""}/cds-services/${encodeURIComponent(service.id)}`;
  const query = params.toString() ? `?${params}` : "";
  const answer = await call("POST", path + query, built.data);
  $("response-json").textContent = JSON.stringify(answer.data, null, 2);
  if (!answer.ok) return setStatus(`Tjenesten svarte med feil (${problem(answer)}).`, true);
  state.response = answer.data;
  state.serviceId = service.id;
  const cards = Array.isArray(answer.data.cards) ? answer.data.cards : [];
  setStatus(cards.length ? `${cards.length} kort fra ${service.hook}.` : `Ingen kort fra ${service.hook}.`);
  renderCards(cards);
  renderExplanation(answer.data.extension);
  $("henvisning").hidden = true;
}

function renderCards(cards) {
  const container = $("cards");
  container.replaceChildren();
  if (!cards.length) container.append(el("p", { class: "hint", text: "Ingen kort: tjenesten har ikke noe å melde for denne journalen." }));
  cards.forEach((card, index) => container.append(renderCard(card, index)));
}

function renderCard(card, index) {
  const indicator = INDICATORS[card.indicator] ? card.indicator : "info";
  const titleId = `card-${index}-title`;
  const article = el("article", { class: `card card--${indicator}`, "aria-labelledby": titleId, "data-card": card.uuid || "" });
  article.append(
    el("p", { class: "indicator", text: INDICATORS[indicator] }),
    el("h3", { id: titleId, text: card.summary || "" }),
  );
  if (card.detail) article.append(renderMarkdown(card.detail));
  if (card.source && card.source.label) {
    const source = el("p", { class: "source" }, "Kilde: ");
    const href = card.source.url ? safeHref(card.source.url) : null;
    source.append(href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: card.source.label }) : card.source.label);
    article.append(source);
  }
  if (Array.isArray(card.links) && card.links.length) {
    const links = el("ul", { class: "links", "aria-label": "Lenker" });
    for (const link of card.links) {
      const href = safeHref(link.url || "");
      links.append(el("li", {}, href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: link.label }) : link.label));
    }
    article.append(links);
  }
  const feedbackStatus = el("p", { class: "feedback-status", role: "status" });
  const actions = el("div", { class: "actions" });
  const buttons = [];
  const suggestions = Array.isArray(card.suggestions) ? card.suggestions : [];
  suggestions.forEach((suggestion) => {
    const button = el("button", { type: "button", class: suggestion.isRecommended ? "suggestion recommended" : "suggestion" });
    button.textContent = suggestion.label + (suggestion.isRecommended ? " (anbefalt)" : "");
    button.addEventListener("click", () => accept(card, suggestion, button, buttons, feedbackStatus));
    buttons.push(button);
    actions.append(button);
  });
  const reasons = Array.isArray(card.overrideReasons) ? card.overrideReasons : [];
  const dismiss = el("div", { class: "dismiss" });
  let reasonSelect = null;
  if (reasons.length) {
    const selectId = `card-${index}-reason`;
    reasonSelect = el("select", { id: selectId });
    reasonSelect.append(el("option", { value: "", text: "– velg begrunnelse –" }));
    reasons.forEach((reason, reasonIndex) => reasonSelect.append(el("option", { value: String(reasonIndex), text: reason.display })));
    dismiss.append(el("label", { for: selectId, text: "Begrunnelse for å avvise" }), reasonSelect);
  }
  const dismissButton = el("button", { type: "button", class: "dismiss-button", text: "Avvis kortet" });
  dismissButton.addEventListener("click", () => {
    const chosen = reasonSelect && reasonSelect.value !== "" ? reasons[Number(reasonSelect.value)] : null;
    overridden(card, chosen, [...buttons, dismissButton, ...(reasonSelect ? [reasonSelect] : [])], feedbackStatus);
  });
  dismiss.append(dismissButton);
  article.append(actions, dismiss, feedbackStatus);
  return article;
}

async function accept(card, suggestion, button, buttons, statusNode) {
  button.classList.add("chosen");
  button.setAttribute("aria-pressed", "true");
  // at-most-one: choosing one suggestion rules out the others (CDS Hooks §selectionBehavior).
  if (card.selectionBehavior === "at-most-one") buttons.forEach((other) => { other.disabled = true; });
  else button.disabled = true;
  showSuggestion(suggestion);
  await sendFeedback(card, { outcome: "accepted", acceptedSuggestions: [{ id: suggestion.uuid }] }, statusNode);
}

async function overridden(card, reason, controls, statusNode) {
  controls.forEach((control) => { control.disabled = true; });
  const item = { outcome: "overridden" };
  if (reason) {
    item.overrideReason = { reason: { system: reason.system, code: reason.code, display: reason.display } };
  }
  await sendFeedback(card, item, statusNode);
}

async function sendFeedback(card, item, statusNode) {
  if (!card.uuid) {
    statusNode.textContent = "Kortet har ingen uuid: tilbakemelding kan ikke sendes.";
    return;
  }
  const body = { feedback: [{ card: card.uuid, ...item, outcomeTimestamp: new Date().toISOString() }] };
  const result = await call("POST", `/cds-services/${encodeURIComponent(state.serviceId)}/feedback`, body);
  const what = item.outcome === "accepted" ? "godtatt" : "avvist";
  const text = result.ok
    ? `Tilbakemelding (${what}) lagret: mottatt ${result.data.received}, nye ${result.data.stored} (HTTP ${result.status}).`
    : `Tilbakemelding (${what}) ble ikke lagret (${problem(result)}).`;
  statusNode.textContent = text;
  statusNode.classList.toggle("error", !result.ok);
  $("feedback-log").append(el("li", { text: `${card.summary}: ${text}` }));
}

function showSuggestion(suggestion) {
  const actions = Array.isArray(suggestion.actions) ? suggestion.actions : [];
  const withResource = actions.find((action) => action.resource && action.resource.resourceType === "ServiceRequest")
    || actions.find((action) => action.resource);
  const resource = withResource ? withResource.resource : null;
  const div = resource && resource.text && typeof resource.text.div === "string" ? resource.text.div : null;
  // The narrative is XHTML we generate; it is still shown only in an iframe sandboxed without
  // scripts, forms or same-origin access, under the page's Content-Security-Policy.
  $("letter").srcdoc = div || "<p>Forslaget har ingen henvisningstekst.</p>";
  $("service-request").textContent = JSON.stringify(resource || actions, null, 2);
  $("henvisning").hidden = false;
  $("henvisning-tittel").focus();
}

// The explain extension (README «Explain»): per pathway, the rules in order and every feature
// with its evidence or why it did not count, each with its quoted source sentence.
const EXPLAIN_KEY = "no.pakkeforlop-cds.explain";
const RULE_MARK = { true: "✓", false: "✗" };

function quote(source) {
  if (!source || !source.quote) return el("span");
  return el("blockquote", { class: "source-quote" },
    el("span", { text: `«${source.quote}»` }),
    el("small", { text: ` (${source.file}, «${source.section}»)` }));
}

function explainRule(rule) {
  const mark = rule.appliesToHook ? RULE_MARK[Boolean(rule.held)] : "·";
  let state = "gjelder ikke denne hooken";
  if (rule.appliesToHook) state = rule.held ? (rule.deciding ? "avgjør" : "holder") : "ikke oppfylt";
  const item = el("li", { class: rule.deciding ? "deciding" : "" },
    el("span", { text: `${mark} ${rule.id} (${rule.outcome}): ${state}` }));
  if (Array.isArray(rule.notMet) && rule.notMet.length) {
    item.append(el("ul", {}, ...rule.notMet.map((term) => el("li", { text: term }))));
  }
  for (const source of rule.sources || []) item.append(quote(source));
  return item;
}

function explainFeature(feature) {
  const item = el("li", { class: `feature ${feature.status}` },
    el("strong", { text: feature.label }), el("span", { text: `: ${feature.statusText}` }));
  const details = el("ul");
  for (const evidence of feature.evidence || []) {
    details.append(el("li", { text: `${evidence.text} — ${evidence.date || "udatert"} (${evidence.reference})` }));
  }
  if (feature.reason) details.append(el("li", { text: feature.reason }));
  for (const clause of feature.notCounted || []) {
    details.append(el("li", { text: `«${clause.text}» – ${clause.whyText} (${clause.reference})` }));
  }
  if (feature.agedOut) {
    details.append(el("li", { text: `Eldre: ${feature.agedOut.text} — ${feature.agedOut.date || "udatert"}` }));
  }
  if (details.childElementCount) item.append(details);
  item.append(quote(feature.source));
  return item;
}

function renderExplanation(extension) {
  const container = $("explain");
  container.replaceChildren();
  const explanation = extension && typeof extension === "object" ? extension[EXPLAIN_KEY] : null;
  if (!explanation || !Array.isArray(explanation.pathways)) {
    container.append(el("p", { class: "hint", text: "Ingen forklaring i svaret." }));
    return;
  }
  for (const pathway of explanation.pathways) {
    const verdict = pathway.outcome || "ingen kort";
    const section = el("details", { class: "explain-pathway" },
      el("summary", { text: `${pathway.title} (${pathway.version}): ${verdict}` }));
    if (pathway.alreadyReferred) {
      section.append(el("p", { text: "Henvist nylig: kortet holdes tilbake." }));
    }
    if (pathway.deceased) {
      section.append(el("p", { text: "Registrert død: ingen forslag om pakkeforløp." }));
    }
    section.append(el("h4", { text: "Regler i rekkefølge" }), el("ol", {}, ...pathway.rules.map(explainRule)));
    section.append(el("h4", { text: "Funn" }), el("ul", {}, ...pathway.features.map(explainFeature)));
    container.append(section);
  }
  for (const net of explanation.safetyNets || []) container.append(explainSafetyNet(net));
  for (const plan of explanation.followup || []) container.append(explainFollowup(plan));
}

// A safety net that became a card (the extension's «safetyNets» part): the referral and the
// deadline it missed, or the decision after which the findings persist.
function explainSafetyNet(net) {
  const parts = [`henvist ${net.referral}`];
  if (net.deadline) parts.push(`frist første fremmøte ${net.deadline}, ${net.daysOverdue} dager over`);
  if (net.decision) parts.push(`avklart ${net.decision}`);
  return el("details", { class: "explain-pathway" },
    el("summary", { text: `Sikkerhetsnett ${net.pathway} (${net.level})` }),
    el("p", { text: parts.join("; ") }));
}

// A follow-up programme after treatment (the extension's «followup» part): group, the values
// it rests on, start, end, and per activity its planned dates with window and status.
function explainFollowup(plan) {
  const section = el("details", { class: "explain-pathway" },
    el("summary", { text: `${plan.title} (${plan.version}): ${plan.stateText}` }));
  if (plan.group) section.append(el("p", { text: plan.group.label }));
  const values = el("ul");
  for (const value of plan.values || []) {
    const evidence = value.evidence ? ` — ${value.evidence.date || "udatert"} (${value.evidence.reference})` : "";
    values.append(el("li", { text: `${value.label}: ${value.valueText}${evidence}` }));
  }
  for (const missing of plan.missing || []) values.append(el("li", { text: `Mangler: ${missing.label}` }));
  if (plan.start) values.append(el("li", { text: `Start ${plan.start.date} (${plan.start.text})` }));
  if (plan.ended) values.append(el("li", { text: `Avsluttet: ${plan.ended.text}` }));
  section.append(values);
  for (const activity of plan.activities || []) {
    section.append(el("h4", { text: activity.label }));
    section.append(el("ul", {}, ...activity.instances.map((i) =>
      el("li", { text: `${i.month} mnd ${i.planned} (vindu ${i.windowStart}–${i.windowEnd}): ${i.statusText}` }))));
    for (const source of activity.sources || []) section.append(quote(source));
  }
  return section;
}

// --- start-up ---

async function loadExample() {
  const name = $("example").value;
  const example = state.examples.find((item) => item.name === name);
  $("example-description").textContent = example && example.patient
    ? `Fra examples/README.md (engelsk): ${example.patient}; ${example.record}. Forventet kort: ${example.expected}.`.replace(/`/g, "")
    : "";
  if (!name) return;
  // The examples' "today" (examples/README.md): later, their results age out of the rules.
  if (!state.serverToday) $("today").value = EXAMPLES_TODAY;
  const result = await call("GET", `/sandbox/examples/${encodeURIComponent(name)}`);
  if (!result.ok) return setStatus(`Kunne ikke hente eksempelet (${problem(result)}).`, true);
  $("bundle").value = JSON.stringify(result.data, null, 2);
  refreshDrafts();
  setStatus(`Eksempelpasienten «${name}» er lastet.`);
}

async function start() {
  const [examples, discovery] = await Promise.all([call("GET", "/sandbox/examples"), call("GET", "/cds-services")]);
  state.examples = examples.ok ? examples.data.examples : [];
  for (const example of state.examples) $("example").append(el("option", { value: example.name, text: example.name }));
  $("no-examples").hidden = state.examples.length > 0;
  $("example").disabled = state.examples.length === 0;
  state.serverToday = examples.ok && examples.data.today ? examples.data.today : "";
  $("today").value = state.serverToday;
  $("today-hint").textContent = state.serverToday
    ? "Tjenesten er satt til å vurdere per denne datoen (CDS_TODAY). Endre for å prøve en annen dato."
    : "Tomt felt: dagens dato. Eksempelpasientene er laget for 20.11.2026 (settes når du velger en).";
  state.services = discovery.ok && Array.isArray(discovery.data.services) ? discovery.data.services : [];
  for (const service of state.services) {
    $("service").append(el("option", { value: service.id, text: `${service.hook} – ${service.title || service.id}` }));
  }
  if (!state.services.length) setStatus(`Fant ingen tjenester (${problem(discovery)}).`, true);
  $("example").addEventListener("change", loadExample);
  $("service").addEventListener("change", refreshDrafts);
  $("bundle").addEventListener("change", refreshDrafts);
  $("draft").addEventListener("change", () => {
    try {
      showDraft(JSON.parse($("bundle").value).entry || []);
    } catch {
      $("draft-json").value = "";
    }
  });
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    if (!file) return;
    $("bundle").value = await file.text();
    $("example").value = "";
    $("example-description").textContent = "";
    refreshDrafts();
    setStatus(`Filen «${file.name}» er lastet.`);
  });
  $("run").addEventListener("click", run);
  refreshDrafts();
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
