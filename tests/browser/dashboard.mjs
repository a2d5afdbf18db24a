// dashboard.mjs - a real browser (Debian's Chromium, driven by
// playwright-core) through Scribe's dashboard: the list and an incident's
// page as Chromium rendered them (their DOM, with the Content Security
// Policy enforced), screenshots kept as artifacts, and an open incident's
// page updating itself when a message is said in its channel.
//
//   node dashboard.mjs URL CONSOLE_FIFO CHANNEL ARTIFACTS_DIR
//
// Prints one line per check ("ok ..." or "FAIL ...") and exits 1 on any
// failure. Every wait has a deadline; none is a sleep.
import { chromium } from 'playwright-core';
import { appendFileSync } from 'node:fs';

const [url, fifo, channel, artifacts] = process.argv.slice(2);
let failures = 0;
const check = (name, ok, detail = '') => {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
  if (!ok) failures++;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(String(e)));

  // The list.
  await page.goto(url + '/', { waitUntil: 'load' });
  const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) =>
    Array.from(tr.cells, (td) => td.innerText.trim())));
  check('the list shows the incidents', rows.length === 3, JSON.stringify(rows));
  check('open first', rows[0] && rows[0][0] === 'INC-3' && /investigating/.test(rows[0][3]),
    JSON.stringify(rows[0]));
  check('the hostile title is text, not markup',
    rows[0] && rows[0][1].includes('<b>bold</b>') &&
    (await page.$$('tbody b')).length === 0, JSON.stringify(rows[0]));
  const styled = await page.$eval('body', (b) => getComputedStyle(b).maxWidth);
  check('the stylesheet applies', styled !== 'none', styled);
  await page.screenshot({ path: `${artifacts}/dashboard-list.png`, fullPage: true });

  // A filter, through the form as a person would use it.
  await page.selectOption('select[name=status]', 'closed');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const closed = await page.$$eval('tbody tr', (trs) => trs.length);
  check('the status filter', closed === 2, String(closed));

  // A closed incident's page: facts, picture, postmortem.
  await page.goto(url + '/incidents/INC-1', { waitUntil: 'load' });
  const facts = await page.$$eval('dl.facts dt', (dts) => dts.map((d) => d.innerText));
  check('key facts', facts.includes('Severity') && facts.includes('Commander'), facts.join(','));
  const pic = await page.$eval('img.picture', (i) => [i.complete, i.naturalWidth]);
  check('the picture is loaded', pic[0] && pic[1] === 1200, JSON.stringify(pic));
  const h1 = await page.$$eval('article h1', (hs) => hs.map((h) => h.innerText));
  check('the postmortem is on the page', h1.some((t) => t.startsWith('Postmortem: INC-1')), h1.join('|'));
  await page.screenshot({ path: `${artifacts}/dashboard-incident.png`, fullPage: true });

  // An open incident's page, live: a message said in its channel shows
  // up without a reload.
  await page.goto(url + '/incidents/INC-3?transcript=1', { waitUntil: 'load' });
  await page.evaluate(() => { window.__notReloaded = true; });
  const said = 'the canary deploy is rolled back ' + Date.now();
  appendFileSync(fifo, `/as dana\n/join #${channel}\n${said}\n`);
  let shown = true;
  try {
    await page.waitForFunction((t) => document.body.innerText.includes(t), said,
      { timeout: 15000 });
  } catch (e) {
    shown = false;
  }
  check('a new message appears on the open page', shown, 'not seen within 15 s');
  check('without a reload', await page.evaluate(() => window.__notReloaded === true));
  await page.screenshot({ path: `${artifacts}/dashboard-live.png`, fullPage: true });
  check('no Content Security Policy violation or script error', violations.length === 0,
    violations.join(' | '));
} finally {
  await browser.close();
}
console.log(`${failures ? 'FAIL' : 'ok'}: ${failures} failed`);
process.exit(failures ? 1 : 0);
