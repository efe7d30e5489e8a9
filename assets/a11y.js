/* buurtdekking: accessibility repairs for Dash 4 core components (WCAG 2.1 AA, checked with axe-core).
 *
 * - dcc.Dropdown puts keyboard focus on a hidden, aria-hidden input and names its button only by the chosen
 *   value: a screen reader hears neither what the control is for nor reaches it as a button. We move the tab
 *   stop to the (real) button and name it by our <label> plus its value.
 * - dcc.RadioItems / dcc.Checklist wrap native inputs in role="listbox"/role="option": interactive inside
 *   interactive, and a listbox without a name. Native radios and checkboxes inside our <fieldset>/<legend>
 *   already say everything, so the extra roles are removed.
 * Dash re-renders these components, so the repairs run again on every DOM change (cheap: a few queries).
 */
(function () {
  "use strict";
  // The components' class names are Dash's internals: assets/early/dash-internals.js.
  var DROPDOWN = window.buurtdekkingInternals.dropdown;
  var LISTS = window.buurtdekkingInternals.optionLists;
  var LIST_WITH_ROLE = LISTS.map(function (c) { return c + "[role]"; }).join(", ");
  var OPTION = LISTS.map(function (c) { return c + " > [role='option']"; }).join(", ");

  function repairDropdowns(root) {
    root.querySelectorAll(DROPDOWN.wrapper).forEach(function (wrap) {
      var target = wrap.querySelector(DROPDOWN.focusTarget);
      var button = wrap.querySelector(DROPDOWN.button);
      if (!button) {
        return;
      }
      if (target && target.getAttribute("tabindex") !== "-1") {
        target.setAttribute("tabindex", "-1");
      }
      if (button.getAttribute("tabindex") !== "0") {
        button.setAttribute("tabindex", "0");
      }
      var label = document.getElementById(button.id + "-label");
      var value = button.id + "-value";
      var wanted = label ? label.id + " " + value : value;
      if (button.getAttribute("aria-labelledby") !== wanted) {
        button.setAttribute("aria-labelledby", wanted);
      }
    });
  }

  function repairOptionLists(root) {
    root.querySelectorAll(LIST_WITH_ROLE).forEach(function (list) {
      list.removeAttribute("role");
    });
    root.querySelectorAll(OPTION).forEach(function (option) {
      if (option.querySelector("input")) {
        option.removeAttribute("role");
        option.removeAttribute("aria-selected");
      }
    });
  }

  var scheduled = false;
  function repair() {
    scheduled = false;
    repairDropdowns(document);
    repairOptionLists(document);
  }

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(repair);
    }
  }

  // Keyboard users press Enter or Space on the dropdown button: open it as the hidden input would.
  document.addEventListener("keydown", function (event) {
    var button = event.target;
    if (!(button instanceof HTMLElement) || !button.matches(DROPDOWN.button)) {
      return;
    }
    if (event.key === "ArrowDown" && button.getAttribute("aria-expanded") !== "true") {
      event.preventDefault();
      button.click();
    }
  });

  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex", "role", "aria-labelledby"] });
  schedule();
})();
