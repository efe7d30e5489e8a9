// plotly.js core with only the trace types buurtdekking draws (PLOTLY_BUNDLE_TRACES in dashboard/app.py lists them):
// a quarter of the full bundle's start-up time in the browser.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/choroplethmap'),
    require('plotly.js/lib/scattermap'),
    require('plotly.js/lib/bar'),
]);

module.exports = Plotly;
