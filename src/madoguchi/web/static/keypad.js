// An on-screen keypad for PIN fields (data-keypad). Typing on the keyboard works without it;
// the keypad never shows the digits either: it only appends to the password field.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-keypad=digits]")) {
    const pad = document.createElement("div");
    pad.className = "keypad";
    pad.setAttribute("role", "group");
    pad.setAttribute("aria-label", input.labels && input.labels[0] ? input.labels[0].textContent : "keypad");
    for (const key of ["1","2","3","4","5","6","7","8","9","⌫","0","C"]) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = key; b.className = "secondary"; b.tabIndex = -1;
      b.addEventListener("click", () => {
        if (key === "⌫") input.value = input.value.slice(0, -1);
        else if (key === "C") input.value = "";
        else if (input.value.length < (input.maxLength > 0 ? input.maxLength : 4)) input.value += key;
        input.dispatchEvent(new Event("input"));
      });
      pad.appendChild(b);
    }
    input.insertAdjacentElement("afterend", pad);
  }
});
