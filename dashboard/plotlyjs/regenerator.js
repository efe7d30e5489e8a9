// The one part of @babel/polyfill that Dash needs in a current browser: its lazily loaded components
// (Graph, Dropdown …) are compiled against a global regeneratorRuntime. core-js itself is not needed.
require('regenerator-runtime/runtime');
