// Roster's only script: copy buttons, confirmations, CSV files read into their form, and the
// setup portal's live status.
// Loaded as a file (the content security policy allows no inline script).
"use strict";

function copyText(text, button) {
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove("copied");
    }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text) && done());
  } else if (fallbackCopy(text)) {
    done();
  }
}

function fallbackCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch (_) {
    copied = false;
  }
  area.remove();
  return copied;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (source) copyText(source.textContent.trim(), button);
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// A CSV file chosen for upload is read into the form's text area: the form posts text, with
// its CSRF token, as every other form does (the text area also takes a pasted file).
document.addEventListener("change", (event) => {
  const input = event.target.closest("input[type=file][data-read-into]");
  const area = input && document.getElementById(input.dataset.readInto);
  if (!area || input.files.length === 0) return;
  input.files[0].text().then((text) => {
    area.value = text;
  });
});

// Live status of a directory in the setup portal: state, and the first users as they arrive.
function poll(panel) {
  const url = panel.dataset.poll;
  const state = panel.querySelector("[data-state]");
  const count = panel.querySelector("[data-users]");
  const list = panel.querySelector("[data-first-users]");
  const refresh = () => {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((status) => {
        state.textContent = status.state;
        state.className = "badge " + status.state;
        count.textContent = status.users;
        list.replaceChildren(
          ...status.first_users.map((email) => {
            const item = document.createElement("li");
            item.textContent = email;
            return item;
          }),
        );
        panel.classList.toggle("is-linked", status.state === "linked");
      })
      .catch(() => {});
  };
  refresh();
  setInterval(refresh, 3000);
}

document.querySelectorAll("[data-poll]").forEach(poll);
