// syncd search page: plain JavaScript, no build step, no dependencies. It talks to the
// JSON API of the same server (/v1/search, /v1/jobs) and keeps the search in the URL so
// that reload, back and shared links show the same results.
'use strict';

(function () {
  const PAGE_SIZE = 24;
  const DEBOUNCE_MS = 200;
  const JOBS_EVERY_MS = 10000;
  const TOKEN_KEY = 'syncd.token';
  const FACETS = 'categoryId,sources,isJxhy';

  const $ = (sel) => document.querySelector(sel);
  const ui = {
    q: $('#q'),
    priceMin: $('#price-min'),
    priceMax: $('#price-max'),
    soldMin: $('#sold-min'),
    jxhy: $('#jxhy'),
    jxhyCount: $('#jxhy-count'),
    category: $('#category'),
    sources: $('#sources'),
    extra: $('#filter-extra'),
    advanced: $('#advanced'),
    sort: $('#sort'),
    clear: $('#clear-filters'),
    results: $('#results'),
    total: $('#total'),
    totalLabel: $('#total-label'),
    took: $('#took'),
    prev: $('#prev'),
    next: $('#next'),
    pageInfo: $('#page-info'),
    error: $('#error'),
    errorText: $('#error-text'),
    errorClose: $('#error-close'),
    jobs: $('#jobs'),
    indexInfo: $('#index-info'),
    tokenPrompt: $('#token-prompt'),
    tokenForm: $('#token-form'),
    token: $('#token'),
    tokenReason: $('#token-reason'),
    tokenForget: $('#token-forget'),
    tokenButton: $('#token-button'),
  };

  const nf = new Intl.NumberFormat('en-US');

  // ---- token ------------------------------------------------------------------------

  let memoryToken = '';
  function getToken() {
    try {
      return localStorage.getItem(TOKEN_KEY) || '';
    } catch (e) {
      return memoryToken; // storage disabled: keep it for this page only
    }
  }
  function setToken(v) {
    memoryToken = v;
    try {
      if (v) localStorage.setItem(TOKEN_KEY, v);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* memoryToken holds it */ }
    ui.tokenButton.hidden = !v;
  }
  function askToken() {
    ui.tokenReason.textContent = getToken()
      ? 'The saved token was not accepted by this server.'
      : 'This syncd server asks for the token set as http.token in its config.';
    ui.tokenForget.hidden = !getToken();
    if (ui.tokenPrompt.hidden) {
      ui.tokenPrompt.hidden = false;
      ui.token.value = '';
      ui.token.focus();
    }
  }

  // ---- API --------------------------------------------------------------------------

  class APIError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // api fetches a JSON route with the bearer token, and throws an APIError carrying the
  // server's {"error": ...} message for any non-2xx answer.
  async function api(path, opts = {}) {
    const headers = { Accept: 'application/json' };
    const token = getToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    let resp;
    try {
      resp = await fetch(path, { method: opts.method || 'GET', headers, signal: opts.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new APIError(0, 'Cannot reach syncd: ' + e.message);
    }
    let body = null;
    const text = await resp.text();
    if (text) {
      try { body = JSON.parse(text); } catch (e) { body = null; }
    }
    if (!resp.ok) {
      const msg = body && typeof body.error === 'string' ? body.error : `HTTP ${resp.status} ${resp.statusText}`;
      if (resp.status === 401) askToken();
      throw new APIError(resp.status, msg);
    }
    return body;
  }

  // ---- search state and the URL ----------------------------------------------------

  function emptyState() {
    return { q: '', pmin: '', pmax: '', sold: '', jxhy: false, cat: '', src: [], extra: '', sort: '', page: 1 };
  }

  function readURL() {
    const p = new URLSearchParams(location.search);
    const s = emptyState();
    s.q = p.get('q') || '';
    s.pmin = p.get('pmin') || '';
    s.pmax = p.get('pmax') || '';
    s.sold = p.get('sold') || '';
    s.jxhy = p.get('jxhy') === '1';
    s.cat = p.get('cat') || '';
    s.src = p.getAll('src').filter(Boolean);
    s.extra = p.get('filter') || '';
    s.sort = p.get('sort') || '';
    s.page = Math.max(1, parseInt(p.get('page'), 10) || 1);
    return s;
  }

  function stateToSearch(s) {
    const p = new URLSearchParams();
    if (s.q) p.set('q', s.q);
    if (s.pmin) p.set('pmin', s.pmin);
    if (s.pmax) p.set('pmax', s.pmax);
    if (s.sold) p.set('sold', s.sold);
    if (s.jxhy) p.set('jxhy', '1');
    if (s.cat) p.set('cat', s.cat);
    for (const v of s.src) p.append('src', v);
    if (s.extra) p.set('filter', s.extra);
    if (s.sort) p.set('sort', s.sort);
    if (s.page > 1) p.set('page', String(s.page));
    const str = p.toString();
    return str ? '?' + str : '';
  }

  function stateToControls(s) {
    ui.q.value = s.q;
    ui.priceMin.value = s.pmin;
    ui.priceMax.value = s.pmax;
    ui.soldMin.value = s.sold;
    ui.jxhy.checked = s.jxhy;
    ensureOption(ui.category, s.cat);
    ui.category.value = s.cat;
    ui.extra.value = s.extra;
    if (s.extra) ui.advanced.open = true;
    ensureOption(ui.sort, s.sort);
    ui.sort.value = s.sort;
    for (const box of ui.sources.querySelectorAll('input[type=checkbox]')) {
      box.checked = s.src.includes(box.value);
    }
  }

  function ensureOption(select, value) {
    if (!value || [...select.options].some((o) => o.value === value)) return;
    select.append(new Option(value, value));
  }

  // number returns v as a canonical number string, or '' when it is not a finite number.
  function number(v, integer) {
    if (String(v).trim() === '') return '';
    const n = Number(v);
    if (!Number.isFinite(n)) return '';
    return String(integer ? Math.trunc(n) : n);
  }

  function quote(s) {
    return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  }

  // buildFilter turns the filter controls into one Meilisearch filter expression. omit
  // names a facet group ('cat' or 'src') to leave out, for counting that group's values
  // as if it were not selected.
  function buildFilter(s, omit) {
    const parts = [];
    if (s.extra.trim()) parts.push(s.extra.trim());
    const pmin = number(s.pmin);
    const pmax = number(s.pmax);
    const sold = number(s.sold, true);
    if (pmin) parts.push('price >= ' + pmin);
    if (pmax) parts.push('price <= ' + pmax);
    if (sold) parts.push('monthSold >= ' + sold);
    if (s.jxhy) parts.push('isJxhy = true');
    if (s.cat && omit !== 'cat') parts.push('categoryId = ' + quote(s.cat));
    if (s.src.length && omit !== 'src') {
      parts.push(s.src.length === 1 ? 'sources = ' + quote(s.src[0]) : 'sources IN [' + s.src.map(quote).join(', ') + ']');
    }
    // The expression typed by the user is sent as is when it stands alone, so that error
    // positions match what they typed; combined, it is parenthesised to keep its meaning.
    if (parts.length > 1 && s.extra.trim()) parts[0] = '(' + parts[0] + ')';
    return parts.join(' AND ');
  }

  function searchPath(s, opts) {
    const p = new URLSearchParams();
    if (s.q.trim()) p.set('q', s.q.trim());
    const filter = buildFilter(s, opts.omit);
    if (filter) p.set('filter', filter);
    if (s.sort && !opts.omit) p.set('sort', s.sort);
    p.set('limit', String(opts.limit));
    if (opts.offset) p.set('offset', String(opts.offset));
    p.set('facets', opts.facets);
    return { path: '/v1/search?' + p.toString(), filter };
  }

  function activeFilters(s) {
    return [s.pmin, s.pmax, s.sold, s.jxhy, s.cat, s.src.length, s.extra.trim()].filter(Boolean).length;
  }

  function hasFilters(s) {
    return activeFilters(s) > 0;
  }

  // ---- searching --------------------------------------------------------------------

  let state = readURL();
  let controller = null;
  let seq = 0;
  let lastPushWasTyping = false;
  let everLoaded = false;

  // commit records the state in the URL. A burst of typing replaces one history entry
  // instead of adding one per keystroke.
  function commit(typing) {
    const search = stateToSearch(state);
    if (search !== location.search) {
      const url = location.pathname + search;
      if (typing && lastPushWasTyping) history.replaceState(null, '', url);
      else history.pushState(null, '', url);
    }
    lastPushWasTyping = typing;
  }

  async function runSearch() {
    const my = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    setLoading(true);

    const s = state;
    const main = searchPath(s, { limit: PAGE_SIZE, offset: (s.page - 1) * PAGE_SIZE, facets: FACETS });
    const calls = [api(main.path, { signal })];
    // Counts for a group the user selected from come from the same search without that
    // selection, so the other choices stay visible with the counts they would give.
    calls.push(s.cat ? api(searchPath(s, { omit: 'cat', limit: 1, facets: 'categoryId' }).path, { signal }) : null);
    calls.push(s.src.length ? api(searchPath(s, { omit: 'src', limit: 1, facets: 'sources' }).path, { signal }) : null);

    let res, catRes, srcRes;
    try {
      [res, catRes, srcRes] = await Promise.all(calls);
    } catch (e) {
      if (e.name === 'AbortError' || my !== seq) return;
      showSearchError(e, main.filter);
      return;
    }
    if (my !== seq) return;

    const pages = Math.max(1, Math.ceil(res.total / PAGE_SIZE));
    if (res.hits.length === 0 && s.page > pages) {
      // A page past the end (an old link, or the index shrank): show the last one.
      state = { ...state, page: pages };
      history.replaceState(null, '', location.pathname + stateToSearch(state));
      runSearch();
      return;
    }
    hideError();
    everLoaded = true;
    const facets = res.facets || {};
    renderFacets({
      categoryId: (catRes ? catRes.facets : facets).categoryId || {},
      sources: (srcRes ? srcRes.facets : facets).sources || {},
      isJxhy: facets.isJxhy || {},
    });
    renderResults(res, pages);
    setLoading(false, 'ready');
  }

  function setLoading(on, final) {
    document.body.classList.toggle('is-loading', on);
    ui.results.setAttribute('aria-busy', on ? 'true' : 'false');
    ui.results.dataset.state = on ? 'loading' : final;
    if (on && !everLoaded && !ui.results.firstChild) {
      for (let i = 0; i < 8; i++) ui.results.append(el('div', { class: 'skeleton', 'aria-hidden': 'true' }));
    }
  }

  function showSearchError(e, filter) {
    let msg = e.message;
    if (e.status === 401) msg = 'Access token required: enter it above to search.';
    showError(msg, e.status === 400 && filter && /filter/.test(e.message) ? filter : '');
    ui.results.replaceChildren();
    ui.total.textContent = '–';
    ui.total.dataset.total = '';
    ui.took.textContent = '';
    ui.pageInfo.textContent = '';
    ui.prev.disabled = ui.next.disabled = true;
    document.getElementById('pager').hidden = true;
    setLoading(false, 'error');
  }

  function showError(msg, filter) {
    ui.errorText.replaceChildren(msg);
    if (filter) {
      ui.errorText.append(el('span', { class: 'error-detail' }, 'Filter sent: ', el('code', {}, filter)));
    }
    ui.error.hidden = false;
  }

  function hideError() {
    ui.error.hidden = true;
    ui.errorText.replaceChildren();
  }

  // ---- rendering --------------------------------------------------------------------

  // el builds an element. Text is always set as text, never parsed as HTML.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c);
    }
    return e;
  }

  function yuan(n) {
    return '¥' + Number(n).toFixed(2);
  }

  function percent(rate) {
    const p = Number(rate) * 100;
    return (p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)) + '%';
  }

  function renderResults(res, pages) {
    const s = state;
    ui.total.textContent = nf.format(res.total);
    ui.total.dataset.total = String(res.total);
    ui.totalLabel.textContent = res.total === 1 ? 'offer' : 'offers';
    ui.took.textContent = `· ${Number(res.tookMs).toFixed(1)} ms`;
    ui.pageInfo.textContent = res.total ? `Page ${s.page} of ${pages}` : '';
    ui.prev.disabled = s.page <= 1;
    ui.next.disabled = s.page >= pages;
    document.getElementById('pager').hidden = res.total <= PAGE_SIZE && s.page === 1;
    ui.clear.hidden = !hasFilters(s);
    showFilterToggle();

    if (res.hits.length === 0) {
      ui.results.replaceChildren(emptyView(s));
      return;
    }
    ui.results.replaceChildren(...res.hits.map(card));
  }

  function emptyView(s) {
    const filtered = hasFilters(s);
    const box = el('div', { class: 'empty' });
    if (!s.q.trim() && !filtered) {
      box.append(
        el('h3', { text: 'The mirror is empty' }),
        el('p', { text: 'No offers have been mirrored yet. Start a job with “Run now” in the Jobs panel, or run `syncd backfill`.' }),
      );
      return box;
    }
    box.append(el('h3', { text: s.q.trim() ? `No offers match “${s.q.trim()}”` : 'No offers match these filters' }));
    box.append(el('p', { text: filtered ? 'Try a wider price range, fewer filters, or other words.' : 'Try other words, or search in Chinese (中文) as well as English.' }));
    if (filtered) {
      const b = el('button', { type: 'button', class: 'btn' }, 'Clear filters');
      b.addEventListener('click', clearFilters);
      box.append(b);
    }
    return box;
  }

  const PLACEHOLDER_TEXT = 'No image';

  function card(o) {
    const titleEn = (o.subjectTrans || '').trim();
    const titleZh = (o.subject || '').trim();
    const main = titleEn || titleZh || o.offerId;

    const thumb = el('div', { class: 'thumb' });
    if (o.imageUrl) {
      const img = el('img', { alt: main, loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' });
      // Listeners go on before src, so a picture that fails at once is still caught.
      img.addEventListener('error', () => {
        img.remove();
        thumb.classList.add('no-image');
      }, { once: true });
      img.src = o.imageUrl;
      thumb.append(img);
    } else {
      thumb.classList.add('no-image');
    }
    thumb.append(el('span', { class: 'no-image-text', 'aria-hidden': 'true' }, PLACEHOLDER_TEXT));
    if (o.isJxhy) thumb.append(el('span', { class: 'badge badge-jxhy', title: 'Selected source (精选货源)' }, 'Selected source'));

    const price = el('div', { class: 'price-row' },
      el('span', { class: 'price', 'data-value': String(o.price) }, yuan(o.price)));
    if (o.jxhyPrice !== undefined && o.jxhyPrice !== null) {
      price.append(el('span', { class: 'jxhy-price', title: 'Selected-source price' }, 'selected ' + yuan(o.jxhyPrice)));
    }

    const stats = el('div', { class: 'stats' },
      el('span', { class: 'sold', title: 'Sold in the last 30 days' }, el('b', {}, nf.format(o.monthSold || 0)), ' sold/mo'),
      el('span', { class: 'repurchase', title: 'Repurchase rate' }, el('b', {}, percent(o.repurchaseRate || 0)), ' repurchase'));

    const tags = el('div', { class: 'tags' });
    for (const src of o.sources || []) {
      const t = el('button', { type: 'button', class: 'tag', title: `Only offers seen by job “${src}”` }, src);
      t.addEventListener('click', () => toggleSource(src, true));
      tags.append(t);
    }
    if (o.categoryId) {
      const c = el('button', { type: 'button', class: 'tag tag-quiet', title: `Only category ${o.categoryId}` }, '#' + o.categoryId);
      c.addEventListener('click', () => update({ cat: o.categoryId }));
      tags.append(c);
    }

    const body = el('div', { class: 'card-body' },
      el('h3', { class: 'title-en', title: main }, main),
      titleEn && titleZh ? el('p', { class: 'title-zh', lang: 'zh-CN', title: titleZh }, titleZh) : null,
      price, stats, tags,
      el('p', { class: 'meta' }, el('span', { class: 'offer-id', title: 'Offer id' }, o.offerId),
        o.updatedAt ? el('span', { title: new Date(o.updatedAt * 1000).toLocaleString() }, 'updated ' + relTime(new Date(o.updatedAt * 1000))) : null));

    return el('article', { class: 'card', 'data-offer-id': o.offerId, 'data-testid': 'card' }, thumb, body);
  }

  function sortedEntries(counts, byName) {
    const entries = Object.entries(counts);
    entries.sort(byName ? (a, b) => a[0].localeCompare(b[0]) : (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return entries;
  }

  function renderFacets(f) {
    const s = state;

    // Category: a select of the categories present, most offers first.
    const cats = sortedEntries(f.categoryId);
    if (s.cat && !(s.cat in f.categoryId)) cats.unshift([s.cat, 0]);
    const catOpts = [new Option('All categories', '')];
    for (const [id, n] of cats) catOpts.push(new Option(`${id} (${nf.format(n)})`, id));
    ui.category.replaceChildren(...catOpts);
    ui.category.value = s.cat;
    ui.category.disabled = cats.length === 0;

    // Sources: one checkbox per job that saw a matching offer.
    const srcs = sortedEntries(f.sources, true);
    for (const v of s.src) if (!(v in f.sources)) srcs.push([v, 0]);
    if (srcs.length === 0) {
      ui.sources.replaceChildren(el('p', { class: 'muted small' }, 'No sources for this search.'));
    } else {
      ui.sources.replaceChildren(...srcs.map(([name, n]) => {
        const box = el('input', { type: 'checkbox', value: name, 'data-source': name });
        box.checked = s.src.includes(name);
        box.addEventListener('change', () => toggleSource(name, box.checked));
        return el('label', { class: 'check' }, box, el('span', { class: 'check-label' }, name), el('span', { class: 'count' }, nf.format(n)));
      }));
    }

    const jx = f.isJxhy.true || 0;
    ui.jxhyCount.textContent = nf.format(jx);
  }

  // ---- jobs panel -------------------------------------------------------------------

  const jobNotes = new Map(); // job name → {text, kind, until}
  let jobsTimer = 0;

  function relTime(d) {
    const sec = Math.round((d.getTime() - Date.now()) / 1000);
    const abs = Math.abs(sec);
    let v;
    if (abs < 45) return sec < 0 ? 'just now' : 'in a moment';
    if (abs < 3600) v = Math.round(abs / 60) + ' min';
    else if (abs < 86400) v = Math.round(abs / 3600) + ' h';
    else v = Math.round(abs / 86400) + ' d';
    return sec < 0 ? v + ' ago' : 'in ' + v;
  }

  function timeEl(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return document.createTextNode('–');
    return el('time', { datetime: d.toISOString(), title: d.toLocaleString() }, relTime(d));
  }

  async function loadJobs() {
    clearTimeout(jobsTimer);
    try {
      const st = await api('/v1/jobs');
      renderJobs(st);
    } catch (e) {
      ui.indexInfo.textContent = '';
      ui.jobs.replaceChildren(el('li', { class: 'job-error' }, e.status === 401 ? 'Access token required.' : e.message));
    }
    jobsTimer = setTimeout(loadJobs, JOBS_EVERY_MS);
  }

  function renderJobs(st) {
    const idx = st.index || {};
    ui.indexInfo.textContent = idx.backend ? `${idx.backend} · ${nf.format(idx.documents || 0)} docs` : '';
    const jobs = st.jobs || [];
    if (jobs.length === 0) {
      ui.jobs.replaceChildren(el('li', { class: 'muted small' }, 'No jobs configured.'));
      return;
    }
    ui.jobs.replaceChildren(...jobs.map(jobItem));
  }

  function jobItem(j) {
    const state = j.state || 'idle';
    const head = el('div', { class: 'job-head' },
      el('span', { class: 'job-name' }, j.name),
      el('span', { class: 'job-kind' }, j.kind),
      el('span', { class: 'state state-' + state, 'data-state': state }, state));

    const meta = el('dl', { class: 'job-meta' });
    const row = (k, ...v) => meta.append(el('div', {}, el('dt', {}, k), el('dd', {}, ...v)));
    const r = j.lastRun;
    if (j.cursor) {
      // An unfinished run: running now, or interrupted/failed and resumable from here.
      const c = j.cursor;
      row(state === 'running' ? 'Progress' : 'Resumes at', `query ${c.query + 1}/${c.queries} · page ${c.page}`);
      row('So far', `${nf.format(c.offers || 0)} offers · ${nf.format(c.new || 0)} new · ${nf.format(c.changed || 0)} changed`);
    }
    if (r) {
      row('Last run', el('span', { class: 'run-status run-' + r.status }, r.status), ' ', timeEl(r.finishedAt || r.startedAt));
      row('Offers', `${nf.format(r.offers || 0)} · ${nf.format(r.new || 0)} new · ${nf.format(r.changed || 0)} changed`);
    } else if (state !== 'running') {
      row('Last run', 'never');
    }
    if (j.nextRunAt) row('Next run', timeEl(j.nextRunAt));
    else row('Next run', j.schedule ? '–' : 'manual only');

    const item = el('li', { class: 'job', 'data-job': j.name, 'data-state': state }, head, meta);
    if (r && r.error && (state === 'failed' || state === 'interrupted')) {
      item.append(el('p', { class: 'job-error', title: r.error }, r.error));
    }

    const btn = el('button', { type: 'button', class: 'btn btn-small run-now', 'data-job': j.name }, state === 'running' ? 'Running…' : 'Run now');
    btn.disabled = state === 'running';
    btn.addEventListener('click', () => runJob(j.name, btn));
    const note = jobNotes.get(j.name);
    const noteEl = el('span', { class: 'job-note', role: 'status' });
    if (note && note.until > Date.now()) {
      noteEl.textContent = note.text;
      noteEl.classList.add('note-' + note.kind);
    }
    item.append(el('div', { class: 'job-actions' }, btn, noteEl));
    return item;
  }

  async function runJob(name, btn) {
    btn.disabled = true;
    try {
      await api(`/v1/jobs/${encodeURIComponent(name)}/run`, { method: 'POST' });
      jobNotes.set(name, { text: 'Started', kind: 'ok', until: Date.now() + 15000 });
    } catch (e) {
      const text = e.status === 409 ? 'Already running' : e.status === 401 ? 'Access token required' : e.message;
      jobNotes.set(name, { text, kind: e.status === 409 ? 'warn' : 'err', until: Date.now() + 15000 });
    }
    loadJobs();
  }

  // ---- events -----------------------------------------------------------------------

  function update(changes, typing) {
    state = { ...state, ...changes };
    if (!('page' in changes)) state.page = 1;
    commit(typing);
    runSearch();
  }

  function debounced(fn) {
    let timer = 0;
    return () => {
      clearTimeout(timer);
      timer = setTimeout(fn, DEBOUNCE_MS);
    };
  }

  function toggleSource(name, on) {
    const src = state.src.filter((v) => v !== name);
    if (on) src.push(name);
    update({ src });
  }

  function clearFilters() {
    update({ pmin: '', pmax: '', sold: '', jxhy: false, cat: '', src: [], extra: '' });
    stateToControls(state);
  }

  ui.q.addEventListener('input', debounced(() => {
    if (ui.q.value !== state.q) update({ q: ui.q.value }, true);
  }));
  document.getElementById('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (ui.q.value !== state.q) update({ q: ui.q.value });
  });
  document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());

  const numberInputs = () => ({ pmin: ui.priceMin.value, pmax: ui.priceMax.value, sold: ui.soldMin.value });
  const onNumbers = debounced(() => {
    const n = numberInputs();
    if (n.pmin !== state.pmin || n.pmax !== state.pmax || n.sold !== state.sold) update(n, true);
  });
  for (const input of [ui.priceMin, ui.priceMax, ui.soldMin]) input.addEventListener('input', onNumbers);
  ui.extra.addEventListener('input', debounced(() => {
    if (ui.extra.value !== state.extra) update({ extra: ui.extra.value }, true);
  }));
  ui.jxhy.addEventListener('change', () => update({ jxhy: ui.jxhy.checked }));
  ui.category.addEventListener('change', () => update({ cat: ui.category.value }));
  ui.sort.addEventListener('change', () => update({ sort: ui.sort.value }));
  ui.clear.addEventListener('click', clearFilters);

  // On narrow screens the filters fold away under a toggle (CSS hides the toggle elsewhere).
  const filtersPanel = document.getElementById('filters-panel');
  const filtersToggle = document.getElementById('filters-toggle');
  function showFilterToggle() {
    const open = filtersPanel.classList.contains('open');
    const n = activeFilters(state);
    filtersToggle.textContent = (open ? 'Hide' : 'Show') + (n ? ` (${n})` : '');
    filtersToggle.setAttribute('aria-expanded', String(open));
  }
  filtersToggle.addEventListener('click', () => {
    filtersPanel.classList.toggle('open');
    showFilterToggle();
  });

  function goPage(delta) {
    update({ page: Math.max(1, state.page + delta) });
    if (ui.results.getBoundingClientRect().top < 0) window.scrollTo({ top: 0, behavior: 'smooth' });
  }
  ui.prev.addEventListener('click', () => goPage(-1));
  ui.next.addEventListener('click', () => goPage(1));

  ui.errorClose.addEventListener('click', hideError);

  ui.tokenForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = ui.token.value.trim();
    if (!v) return;
    setToken(v);
    ui.tokenPrompt.hidden = true;
    hideError();
    runSearch();
    loadJobs();
  });
  ui.tokenForget.addEventListener('click', () => {
    setToken('');
    ui.tokenPrompt.hidden = true;
  });
  ui.tokenButton.addEventListener('click', () => {
    ui.tokenForget.hidden = !getToken();
    ui.tokenPrompt.hidden = !ui.tokenPrompt.hidden;
    if (!ui.tokenPrompt.hidden) ui.token.focus();
  });

  window.addEventListener('popstate', () => {
    state = readURL();
    lastPushWasTyping = false;
    stateToControls(state);
    runSearch();
  });

  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const editing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
    if (e.key === '/' && !editing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      ui.q.focus();
      ui.q.select();
    }
  });

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) loadJobs();
  });

  // ---- start ------------------------------------------------------------------------

  ui.tokenButton.hidden = !getToken();
  stateToControls(state);
  runSearch();
  loadJobs();
})();
