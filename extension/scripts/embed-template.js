/**
 * Copy the notebook templates (auditor/templates/dashboard.ipynb and opened.ipynb, the one
 * source of truth, also used by `figure-audit lab`) into src/template.json and src/opened.json
 * so the extension bundles them. The copies are generated and git-ignored.
 */
const fs = require('fs');
const path = require('path');

// dashboard.ipynb audits articles; opened.ipynb opens an output folder (auditor.open_audit).
for (const [name, copy] of [['dashboard.ipynb', 'template.json'], ['opened.ipynb', 'opened.json']]) {
  const source = path.join(__dirname, '..', '..', 'auditor', 'templates', name);
  const target = path.join(__dirname, '..', 'src', copy);
  const notebook = JSON.parse(fs.readFileSync(source, 'utf8'));
  const text = JSON.stringify(notebook, null, 1) + '\n';
  if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) {
    fs.writeFileSync(target, text);
  }
}
