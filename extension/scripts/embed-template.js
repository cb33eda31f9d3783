/**
 * Copy the dashboard notebook template (auditor/templates/dashboard.ipynb, the one
 * source of truth, also used by `figure-audit lab`) into src/template.json so the
 * extension bundles it. The copy is generated and git-ignored.
 */
const fs = require('fs');
const path = require('path');

const source = path.join(__dirname, '..', '..', 'auditor', 'templates', 'dashboard.ipynb');
const target = path.join(__dirname, '..', 'src', 'template.json');
const notebook = JSON.parse(fs.readFileSync(source, 'utf8'));
const text = JSON.stringify(notebook, null, 1) + '\n';
if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) {
  fs.writeFileSync(target, text);
}
