// SPDX-License-Identifier: LGPL-2.1-or-later
// nnrun serve in a browser, headless: Debian's chromium driven by
// playwright-core, or Debian's firefox-esr driven by puppeteer-core over
// WebDriver BiDi (tools/install-deps --reference installs them; neither
// package downloads a browser). Opens the runs table, a finished run's
// charts, hovered and zoomed, a run that trains as it grows, and a sweep's
// table sorted; keeps a screenshot of each view in OUT_DIR.
//   node test-serve-browser.js [--browser chromium|firefox] NNRUN OUT_DIR [README_PNG]
// Exit status 77 (skipped) without the browser or its driver.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const argv = process.argv.slice(2);
const browserName = argv[0] === '--browser' ? argv.splice(0, 2)[1] : 'chromium';
const [nnrun, outDir, readmePng] = argv.map(a => path.resolve(a));
const cached = (dir, name) => path.join(os.homedir(), '.cache', 'nn', dir, 'node_modules', name);

// The browser's page is driven with playwright's calls; for firefox,
// launchFirefox gives puppeteer's page those calls.
const DRIVERS = {
  chromium: { executable: process.env.NN_CHROMIUM || '/usr/bin/chromium',
              module: cached('playwright', 'playwright-core'), launch: launchChromium },
  firefox: { executable: process.env.NN_FIREFOX || '/usr/bin/firefox-esr',
             module: cached('puppeteer', 'puppeteer-core'), launch: launchFirefox },
};
const driver = DRIVERS[browserName];
if (!driver) {
  console.error(`unknown browser ${browserName}: chromium or firefox`);
  process.exit(2);
}
if (!fs.existsSync(driver.executable) || !fs.existsSync(driver.module)) {
  console.log(`skipped: needs ${driver.executable} and ${path.basename(driver.module)} in ` +
              `${driver.module} (tools/install-deps --reference)`);
  process.exit(77);
}

// A fresh profile each time; the machine may have no network at all, and
// the page needs none.
async function launchChromium(profile) {
  const { chromium } = require(driver.module);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: driver.executable,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { page: await context.newPage(), close: () => context.close() };
}

// puppeteer writes its preferences into the profile, among them those that
// keep firefox's own services (updates, telemetry, safe browsing) off the
// network. Its page is given the calls of playwright's that the test makes,
// each waiting for its element to be visible first, as playwright's do.
async function launchFirefox(profile) {
  const puppeteer = require(driver.module);
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: driver.executable, headless: true, userDataDir: profile,
    defaultViewport: { width: 1280, height: 860 },
  });
  const p = await browser.newPage();
  const ready = (sel, opts = {}) => p.waitForSelector(sel, { visible: true, ...opts });
  const setChecked = async (sel, on) => {
    await ready(sel);
    if (await p.$eval(sel, e => e.checked) !== on) await p.click(sel);
    if (await p.$eval(sel, e => e.checked) !== on) throw new Error(`${sel} did not change`);
  };
  // A live table redraws its rows, and an element found just before can
  // leave the document before the click: find it again, as playwright does.
  const clickAttached = async sel => {
    for (let tries = 0; ; tries++) {
      await ready(sel);
      try {
        return await p.click(sel);
      } catch (e) {
        if (tries >= 20 || !/detached|not attached/i.test(String(e))) throw e;
      }
    }
  };
  const page = {
    on: (event, f) => p.on(event, f),
    goto: url => p.goto(url),
    waitForSelector: ready,
    waitForFunction: (f, arg, opts) => p.waitForFunction(f, opts, arg),
    waitForTimeout: ms => new Promise(r => setTimeout(r, ms)),
    $$: sel => p.$$(sel),
    $eval: (sel, f, arg) => p.$eval(sel, f, arg),
    $$eval: (sel, f, arg) => p.$$eval(sel, f, arg),
    keyboard: p.keyboard,
    mouse: { move: (x, y, opts) => p.mouse.move(x, y, opts), down: () => p.mouse.down(),
             up: () => p.mouse.up(), dblclick: (x, y) => p.mouse.click(x, y, { count: 2 }) },
    click: sel => clickAttached(sel),
    check: sel => setChecked(sel, true),
    uncheck: sel => setChecked(sel, false),
    textContent: async sel => { await ready(sel); return p.$eval(sel, e => e.textContent); },
    screenshot: opts => p.screenshot(opts),
  };
  return { page, close: () => browser.close() };
}

const EXPERIMENT = `name: iris
seed: 42
data: {source: iris, task: multiclass, scale: minmax,
       split: {validation: 0.2, stratify: true, shuffle: true}}
model:
  layers:
    - {units: 16, activation: relu}
    - {units: 3, activation: softmax}
loss: categorical_crossentropy
optimizer: {name: sgd, learning_rate: 0.1}
train: {epochs: 40, batch_size: 16}
metrics: [accuracy]
`;
const SWEEP = `experiment: iris.yaml
method: grid
seed: 1
parameters:
  optimizer.learning_rate: {values: [0.3, 0.1, 0.03]}
  model.layers.0.units: {values: [4, 16]}
metric: val_accuracy
output: {dir: runs/sweep}
`;

function check(ok, what) {
  if (!ok) throw new Error('failed: ' + what);
  console.log('ok: ' + what);
}

function startServer(dir) {
  return new Promise((resolve, reject) => {
    const server = spawn(nnrun, ['serve', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout.on('data', d => {
      out += d;
      const m = out.match(/http:\/\/\S+/);
      if (m) resolve({ server, url: m[0] });
    });
    server.on('exit', code => reject(new Error('nnrun serve exited with ' + code)));
  });
}

// Typed into as a user does, key by key: the field's text selected and
// erased, then the new text.
async function type(page, sel, text) {
  await page.waitForSelector(sel);
  await page.$eval(sel, e => { e.focus(); e.select(); });
  await page.keyboard.press('Backspace');
  if (text) await page.keyboard.type(text);
}

async function points(page, title, label) {
  return page.$eval(`.chart[data-title="${title}"] .series[data-label="${label}"]`,
                    e => Number(e.dataset.points)).catch(() => 0);
}

// The loss chart of the 40-epoch run under the pointer: the tip gives the
// values at the epoch hovered; a drag from epoch 10 to 30 zooms the charts
// to it, a double click shows every epoch again. The chart's geometry is
// app.js's: a 560-unit wide SVG, the epochs from x = 58 to 548.
async function hoverAndZoom(page) {
  const r = await page.$eval('.chart[data-title="loss"] svg', e => {
    const b = e.getBoundingClientRect();
    return { left: b.left, top: b.top, width: b.width, height: b.height };
  });
  const at = epoch => r.left + (58 + (epoch - 1) / 39 * 490) * r.width / 560;
  const y = r.top + r.height / 2;
  await page.mouse.move(at(20), y);
  const tip = await page.$eval('#tip', e => e.hidden ? '' : e.textContent);
  check(/^epoch 20\ntrain: [0-9.]+\nvalidation: [0-9.]+$/.test(tip),
        'hovering epoch 20 shows its values: ' + JSON.stringify(tip));
  await page.mouse.move(at(10), y);
  await page.mouse.down();
  await page.mouse.move(at(30), y, { steps: 5 });
  await page.mouse.up();
  const zoom = await page.textContent('.bar button').catch(() => 'no zoom');
  const [, a, b] = zoom.match(/^epochs ([0-9.]+)–([0-9.]+): show all$/) || [];
  check(Math.abs(a - 10) < 0.5 && Math.abs(b - 30) < 0.5, 'a drag zooms to epochs 10 to 30: ' + zoom);
  const ticks = () => page.$$eval('.chart[data-title="accuracy"] text[text-anchor="middle"]',
                                   t => t.map(e => Number(e.textContent)).filter(Number.isFinite));
  let t = await ticks();
  check(t.length > 2 && t.every(v => v >= 10 && v <= 30),
        'every chart shows those epochs alone: ' + t.join(' '));
  await page.mouse.dblclick(at(20), y);
  await page.waitForFunction(() => !document.querySelector('.bar button'), null, { timeout: 5000 })
    .catch(() => {});
  t = await ticks();
  check(t[0] <= 10 && t[t.length - 1] >= 40, 'a double click shows every epoch again: ' + t.join(' '));
  await page.mouse.move(5, 5);   // the tip off the screenshots
}

async function main() {
  fs.rmSync(outDir, { recursive: true, force: true });
  const work = path.join(outDir, 'scratch');
  fs.mkdirSync(path.join(work, 'runs'), { recursive: true });
  fs.writeFileSync(path.join(work, 'iris.yaml'), EXPERIMENT);
  fs.writeFileSync(path.join(work, 'sweep.yaml'), SWEEP);
  const quiet = { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] };
  execFileSync(nnrun, ['train', 'iris.yaml', '-q', '--set', 'output.dir=runs/iris'], quiet);
  execFileSync(nnrun, ['sweep', 'sweep.yaml', '-j', '2'], { cwd: work, stdio: 'ignore' });

  const { server, url } = await startServer(path.join(work, 'runs'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `nn-${browserName}-`));
  const browser = await driver.launch(profile);
  let training = null;
  try {
    const page = browser.page;
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    page.on('request', r => { if (!r.url().startsWith(url)) errors.push('request out: ' + r.url()); });

    // The runs table.
    await page.goto(url);
    await page.waitForSelector('#runs tbody tr');
    const rows = await page.$$eval('#runs tbody tr', trs => trs.map(tr => tr.innerText));
    check(rows.length === 1 && /iris/.test(rows[0]) && /completed/.test(rows[0]) && /40 \/ 40/.test(rows[0]),
          'the runs table lists the finished run, completed, 40 of 40 epochs');
    await page.check('#show-trials');
    check((await page.$$('#runs tbody tr')).length === 7, 'with the sweep trials shown, 7 runs');
    await type(page, '#filter', '0003');
    check((await page.$$('#runs tbody tr')).length === 1, 'the filter, typed, leaves one run');
    await type(page, '#filter', '');
    check((await page.$$('#runs tbody tr')).length === 7, 'erased, it leaves the 7');
    // Two runs overlaid: a training and a validation curve each.
    await page.check('#runs tbody tr:nth-child(1) input[type=checkbox]');
    await page.check('#runs tbody tr:nth-child(2) input[type=checkbox]');
    await page.click('#compare');
    await page.waitForSelector('.chart[data-title="loss"] .series');
    const overlaid = await page.$$eval('.chart[data-title="loss"] .series[data-points="40"]', e => e.length);
    check(overlaid === 4, `two runs compared: 4 loss curves of 40 points (${overlaid})`);
    await page.screenshot({ path: path.join(outDir, 'compare.png') });
    await page.goto(url + '#/');
    await page.waitForSelector('#runs tbody tr');
    await page.uncheck('#show-trials');
    await page.waitForSelector('#live.on');
    await page.screenshot({ path: path.join(outDir, 'runs.png') });

    // A finished run: 40 points per curve.
    await page.click('a.run-link');
    await page.waitForSelector('.chart[data-title="loss"] .series');
    check(await points(page, 'loss', 'train') === 40 && await points(page, 'loss', 'validation') === 40,
          'the loss chart of the run has 40 training and 40 validation points');
    check(await points(page, 'accuracy', 'validation') === 40 && await points(page, 'learning_rate', 'learning_rate') === 40,
          'the accuracy and learning-rate charts have 40 points');
    await hoverAndZoom(page);
    await page.check('#log-y');
    check(await points(page, 'loss', 'train') === 40, 'on a log axis too');
    check((await page.$$('table.cm tr')).length === 3, 'the confusion matrix is 3 x 3');
    check(/learning_rate: 0.1/.test(await page.textContent('pre.config')), 'config.yaml is shown');
    await page.screenshot({ path: path.join(outDir, 'run.png'), fullPage: true });
    if (readmePng)
      await page.screenshot({ path: readmePng, clip: { x: 0, y: 0, width: 1280, height: 760 } });

    // A run that trains, without checkpoints: its curve grows while it
    // does (history.live), without a reload. The run is held stopped
    // between short slices of training, so that the page is seen to follow
    // it however slowly the browser goes beside it.
    await page.goto(url + '#/');
    fs.writeFileSync(path.join(work, 'live.yaml'), EXPERIMENT.replace('units: 16', 'units: 64'));
    training = spawn(nnrun, ['train', 'live.yaml', '-q', '--set', 'output.dir=runs/live',
                             '--set', 'train.epochs=8000', '--set', 'train.batch_size=1'],
                     { cwd: work, stdio: 'ignore', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    training.kill('SIGSTOP');
    const exited = new Promise(r => training.on('exit', code => r(code)));
    const slice = async ms => {
      training.kill('SIGCONT');
      await page.waitForTimeout(ms);
      training.kill('SIGSTOP');
    };
    const live = 'a.run-link[href="#/run/0/live"]';
    for (let i = 0; !(await page.$$(live)).length; i++) {
      if (i === 100) throw new Error('failed: the live run is listed');
      await slice(20);
      await page.waitForTimeout(200);
    }
    await page.click(live);
    const seen = [];
    for (let i = 0; seen.length < 4; i++) {
      if (i === 40) throw new Error(`failed: the live run's curve grows (${seen.join(' ')} points)`);
      await slice(300);
      const last = seen.length ? seen[seen.length - 1] : 0;
      await page.waitForFunction(
        ([sel, n]) => Number(document.querySelector(sel)?.dataset.points) > n,
        ['.chart[data-title="loss"] .series[data-label="train"]', last], { timeout: 5000 })
        .catch(() => {});
      const n = await points(page, 'loss', 'train');
      if (n > last && n < 8000) seen.push(n);
    }
    check(seen.every((n, i) => i === 0 || n > seen[i - 1]),
          `the live run's curve grew while it trained (${seen.join(' ')} points)`);
    training.kill('SIGCONT');
    await page.screenshot({ path: path.join(outDir, 'live.png'), fullPage: true });
    check(await exited === 0, 'the training run ended');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'completed',
                               null, { timeout: 30000 });
    check(await points(page, 'loss', 'train') === 8000, 'once finished, 8000 points');
    check(!fs.existsSync(path.join(work, 'runs/live/history.live')),
          'history.live does not reach the run directory');

    // A sweep: its table sorted by a click on a column.
    await page.goto(url + '#/');
    await page.click('a.sweep-link');
    await page.waitForSelector('#trials tbody tr');
    const column = async key => page.$$eval(`#trials tbody tr`, (trs, k) => {
      const i = [...document.querySelectorAll('#trials th')].findIndex(th => th.dataset.key === k);
      return trs.map(tr => Number(tr.children[i].textContent));
    }, key);
    check((await column('trial')).length === 6, 'the sweep table has 6 trials');
    await page.click('#trials th[data-key="val_loss"]');
    await page.waitForSelector('#trials th.asc[data-key="val_loss"]');
    let v = await column('val_loss');
    check(v.every((x, i) => i === 0 || x >= v[i - 1]), 'sorted by val_loss ascending: ' + v.join(' '));
    await page.click('#trials th[data-key="val_loss"]');
    await page.waitForSelector('#trials th.desc[data-key="val_loss"]');
    v = await column('val_loss');
    check(v.every((x, i) => i === 0 || x <= v[i - 1]), 'and descending');
    check(await page.$$eval('.chart .series[data-points="6"]', e => e.length) === 2,
          'a chart of the metric against each of the 2 parameters, 6 points each');
    await page.screenshot({ path: path.join(outDir, 'sweep.png'), fullPage: true });
    check(errors.length === 0, 'no script error and no request off the server: ' + errors.join('; '));
  } finally {
    if (training && training.exitCode == null) {
      training.kill('SIGCONT');
      training.kill();
    }
    await browser.close();
    server.kill();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), e => { console.error(e.message); process.exit(1); });
