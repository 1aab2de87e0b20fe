/* AWD Studio browser helpers (no framework, event delegation so Dash page changes need no re-binding):
 * - dataset upload: drag-and-drop or file picker -> XMLHttpRequest POST /api/datasets with a progress bar
 *   (one file, or an .npy pair: X in the field `file`, its targets in `y`);
 *   on success the new id goes to the Dash store `home-dataset-id` through dash_clientside.set_props;
 * - teacher upload on the configure page -> POST /api/teachers (file + architecture);
 * - new data on the results page -> POST /api/results/{job}/predict (file; the model picked);
 * - figure downloads: buttons with data-graph / data-format call Plotly.downloadImage;
 * - copy icons (dcc.Clipboard) made keyboard buttons, dropdowns and sliders named by their labels;
 * - a confirmation dialog opens with the focus on its "Go back" button;
 * - window resizes that cross the phone breakpoint write the new width to the Dash store `app-viewport`, so the
 *   figures laid out for the old width (panels per row) are drawn again. */
(function () {
  "use strict";

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function errorText(xhr) {
    var detail = null;
    try {
      var body = JSON.parse(xhr.responseText);
      detail = body.detail !== undefined ? body.detail : body.message;
      if (Array.isArray(detail)) {
        detail = detail.map(function (d) { return (d.loc ? d.loc.join(".") + ": " : "") + d.msg; }).join("; ");
      }
    } catch (e) { /* not JSON */ }
    if (!detail) {
      detail = xhr.status === 413 ? "the file is larger than the server accepts" :
        xhr.status ? "the server answered HTTP " + xhr.status : "the server could not be reached";
    }
    return String(detail);
  }

  /* A refusal in the page's words: the upload fields it names (`words`: field -> the words the page shows for it,
   * the dropzone's data-field-words, pages/home.py upload_field_words) said as the page says them. "the upload field
   * drop_incomplete=true or pad_ends=true" is the buttons under the message, "tile: ..." (or the JSON path
   * "body.tile: ...") the field's label, a field's name elsewhere its words, and "the upload fields pad_ends=true with
   * drop_incomplete=true" the one button that sets both (`bothWords`, the dropzone's data-both-words); the rest of
   * the message as it is. */
  function inPageWords(msg, words, bothWords) {
    var names = Object.keys(words || {});
    if (!names.length) { return msg; }
    if (bothWords) {  // the two fields together: the page's one button
      msg = msg.replace(/the upload fields pad_ends=true with drop_incomplete=true/g, "the button “" + bothWords + "”");
    }
    var field = "(?:body\\.)?(" + names.join("|") + ")";
    function said(name) { return "“" + words[name] + "”"; }
    return msg
      .replace(new RegExp("the upload field " + field + "=true or " + field + "=true", "g"),
        function (m, a, b) { return "the buttons " + said(a) + " or " + said(b) + " under this message"; })
      .replace(new RegExp("\\b" + field + "=true\\b", "g"), function (m, a) { return "the button " + said(a); })
      .replace(new RegExp("(^|; |: )" + field + ": ", "g"), function (m, lead, a) { return lead + said(a) + ": "; })
      .replace(new RegExp("\\b" + field + "\\b", "g"),  // a name no sentence uses as a word (pad_ends, not tile)
        function (m, a) { return a.indexOf("_") >= 0 ? said(a) : m; });
  }

  /* The upload options a refusal says would let the file through (its body's `remedies`: drop_incomplete,
   * pad_ends), or none. */
  function remediesOf(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      return Array.isArray(body.remedies) ? body.remedies : [];
    } catch (e) { return []; }
  }

  /* POST a FormData with upload progress. onProgress(percent), onDone(body), onFail(message, remedies). */
  function post(url, form, onProgress, onDone, onFail) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { onProgress(Math.round(100 * e.loaded / e.total)); }
    };
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { onFail("the server sent an unreadable answer"); return; }
        onDone(body);
      } else {
        onFail(errorText(xhr), remediesOf(xhr));
      }
    };
    xhr.onerror = function () { onFail("the server could not be reached (network error)"); };
    xhr.send(form);
  }

  function bar(prefix, pct, label) {
    var wrap = document.getElementById(prefix + "-upload-progress");
    var b = document.getElementById(prefix + "-upload-bar");
    if (wrap) { wrap.classList.remove("awd-hidden"); }
    if (b) {
      b.style.width = pct + "%";
      b.setAttribute("aria-valuenow", String(pct));
      b.textContent = label !== undefined ? label : pct + "%";
    }
  }

  function status(prefix, text) {
    var s = document.getElementById(prefix + "-upload-status");
    if (s) { s.textContent = text; }
  }

  /* The server's largest upload in bytes (GET /api/options, read at the first upload); 0 when it cannot be read
   * (the server still refuses a larger file, after receiving it). */
  var uploadLimit = null;

  function withUploadLimit(then) {
    if (uploadLimit !== null) { then(uploadLimit); return; }
    fetch("/api/options", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (o) { uploadLimit = (o && o.max_upload_bytes) || 0; then(uploadLimit); })
      .catch(function () { then(0); });
  }

  function megabytes(n) { return (n / 1048576).toFixed(n < 10485760 ? 1 : 0) + " MB"; }

  /* One upload with its page's progress bar, status line and error alert (ids "<prefix>-upload-bar",
   * "<prefix>-upload-status", "<prefix>-error"): `how.busy` once the bytes are sent, `how.done(body)` the status
   * line on success, `how.failed` the alert's first words (also in the status line with `how.failedBeside`), the
   * refusal said in the page's words of `how.words` (inPageWords), or by `how.say(message, remedies)` when the
   * page has its own; `onDone(body)` and `onFail(the server's message, the remedies it names)` for what else the
   * page needs. A file over the server's limit is refused here, before its bytes are sent (review
   * 18: a 205 MB file took 49 s to be refused). */
  function send(prefix, url, form, how, onDone, onFail) {
    var errorId = prefix + "-error";
    setProps(errorId, { is_open: false });
    function fail(msg, remedies) {
      var said = how.failed + (how.say ? how.say(msg, remedies || []) : inPageWords(msg, how.words, how.bothWords));
      bar(prefix, 0, "");
      var wrap = document.getElementById(prefix + "-upload-progress");
      if (wrap) { wrap.classList.add("awd-hidden"); }  // no empty bar left under a refusal (review 43A)
      status(prefix, how.failedBeside ? said : "");
      setProps(errorId, { children: said, is_open: true });
      if (onFail) { onFail(msg, remedies || [], said); }
    }
    withUploadLimit(function (limit) {
      var largest = null;
      form.forEach(function (value) { if (value instanceof File && (!largest || value.size > largest.size)) { largest = value; } });
      if (limit && largest && largest.size > limit) {
        fail("file: " + largest.name + " is " + megabytes(largest.size) + ", more than this server's upload limit of " +
             megabytes(limit) + " (AWD_MAX_UPLOAD_MB); nothing was sent. Upload a smaller file (fewer samples, or " +
             "float32 instead of float64) or ask the administrator to raise the limit");
        return;
      }
      status(prefix, "Uploading " + how.name + " …");
      bar(prefix, 0);
      post(url, form,
        function (pct) { bar(prefix, pct); if (pct >= 100 && how.busy) { status(prefix, how.busy); } },
        function (body) { bar(prefix, 100, "done"); status(prefix, how.done(body)); onDone(body); },
        fail);
    });
  }

  /* The targets file of an .npy pair: the one named like y.npy or <name>_y.npy. */
  function isTargets(file) {
    return /(^|[_-])(y|target|targets)(_train)?\.npy$/i.test(file.name);
  }

  /* The files of the last dataset upload: "Leave out the rows with missing values", "Fill the ends with zeros" and
   * "Fill the ended traces with zeros, leave out the other rows" send them again. */
  var lastDatasetFiles = null;
  var storedBefore = null;  // the file of this page's last dataset upload that was stored: a refusal says it stays
  var DROP_BUTTON = "home-drop-incomplete", PAD_BUTTON = "home-pad-ends", REMEDIES = "home-missing-remedies";
  var BOTH_BUTTON = "home-pad-and-drop";  // the ended traces filled, the other rows left out
  var BOTH_FIELDS = { pad_ends: "true", drop_incomplete: "true" };
  var REMEDIES_CLASS = "mb-3 d-flex flex-wrap gap-2";

  /* One data file, or an .npy pair (X and its targets y, chosen or dropped together); `extra`: more form fields
   * (drop_incomplete or pad_ends when the user asked to leave out a text file's rows with missing values, or to
   * fill the ends of its traces). */
  function uploadDataset(files, extra) {
    files = Array.prototype.slice.call(files || []);
    if (!files.length) { return; }
    lastDatasetFiles = files;
    setProps(REMEDIES, { className: REMEDIES_CLASS + " awd-hidden" });
    var file = files[0];
    var targets = null;
    if (files.length === 2 && files.every(function (f) { return /\.npy$/i.test(f.name); })) {
      targets = files.filter(isTargets)[0] || null;
      file = files.filter(function (f) { return f !== targets; })[0];
      if (!targets) {
        setProps("home-error", { children: "Two .npy files: name the targets file y.npy or <name>_y.npy so " +
                                           "that it can be told from X.", is_open: true });
        return;
      }
    } else if (files.length > 1) {
      setProps("home-error", { children: "Choose one data file (or, for .npy, the X file and its y file).",
                               is_open: true });
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    if (targets) { form.append("y", targets, targets.name); }
    var nameInput = document.getElementById("home-dataset-name");
    if (nameInput && nameInput.value.trim()) { form.append("name", nameInput.value.trim()); }
    var tileInput = document.getElementById("home-tile-size");
    if (tileInput && tileInput.value.trim()) { form.append("tile", tileInput.value.trim()); }
    Object.keys(extra || {}).forEach(function (k) { form.append(k, extra[k]); });
    var zone = document.getElementById("home-dropzone");
    send("home", "/api/datasets", form, {
      name: file.name, busy: "Checking " + file.name + " …", failed: "Upload of " + file.name + " failed: ",
      words: JSON.parse((zone && zone.getAttribute("data-field-words")) || "{}"),
      bothWords: zone && zone.getAttribute("data-both-words"),
      done: function (body) {
        return body.note ? "Uploaded " + file.name + ": " + body.note + "." : "Uploaded " + file.name + ".";
      }
    }, function (body) { storedBefore = file.name; setProps("home-dataset-id", { data: body.id }); },
    // the error stands alone: no preview (and "Configure" button) of an earlier dataset under it, and it says that
    // dataset is still stored (review 43A: its preview going read as the dataset lost)
    function (msg, remedies, said) {
      setProps("home-dataset-id", { data: null });
      if (storedBefore && storedBefore !== file.name) {
        var kept = ". The dataset uploaded before, " + storedBefore + ", is still stored: the Configure page lists it.";
        setProps("home-error", { children: said.replace(/[.\s]*$/, "") + kept, is_open: true });
      }
      // a file refused for missing values or cells that are not numbers (traces that ended early): each remedy
      // the refusal names (its `remedies`: models/data/readers/text.py) is offered here, but the one just tried (a
      // gap in a trace filled at its end names the other alone); "pad_ends+drop_incomplete" is both fields at once
      var offered = [[DROP_BUTTON, "drop_incomplete"], [PAD_BUTTON, "pad_ends"],
        [BOTH_BUTTON, "pad_ends+drop_incomplete"]].filter(function (remedy) {
          var tried = remedy[1].split("+").every(function (field) { return extra && extra[field]; });
          return remedies.indexOf(remedy[1]) >= 0 && !tried;
        }).map(function (remedy) { return remedy[0]; });
      if (offered.length) {  // any format whose refusal names them (an array file's traces ended early too)
        [DROP_BUTTON, PAD_BUTTON, BOTH_BUTTON].forEach(function (id) {
          setProps(id, { className: offered.indexOf(id) >= 0 ? "" : "awd-hidden" });
        });
        setProps(REMEDIES, { className: REMEDIES_CLASS });
      }
    });
  }

  function uploadTeacher(file) {
    if (!file) { return; }
    var form = new FormData();
    form.append("file", file, file.name);
    var arch = document.querySelector("#configure-teacher-arch input:checked");
    form.append("arch", arch ? arch.value : "mlp");  // the field POST /api/teachers reads
    var ds = document.getElementById("configure-dataset-hidden");
    if (ds && ds.value) { form.append("dataset_id", ds.value); }
    // the failure is said beside the card too: on a phone the alert at the top is far away
    send("configure", "/api/teachers", form, {
      name: file.name, failed: "Teacher upload failed: ", failedBeside: true,
      done: function (body) {  // the same weights again: the teacher stored before, said so
        if (body && body.note) { return "Loaded " + file.name + ": " + body.note + "."; }
        return "Loaded and checked " + file.name + (body && body.warning ? ", with the warning below." : ".");
      }
    }, function (body) { setProps("configure-uploaded-teacher", { data: body }); });
  }

  /* The file of the last prediction upload and its job: "Leave out the rows with missing values and predict again"
   * (predict_panel.py) sends it again, without a second pick. */
  var lastPredict = null;
  var PREDICT_DROP_BUTTON = "results-predict-drop-incomplete";

  /* New data for a result's model -> POST /api/results/{job}/predict?model=...; the JSON answer goes to the
   * Dash store `results-predict-answer` (the job id is the dropzone's data-job, the model the select's value).
   * `dropIncomplete`: leave out the rows with missing values (?drop_incomplete=true), as the button asks. */
  function uploadPredict(z, file, dropIncomplete) {
    if (!file) { return; }
    var job = z.getAttribute("data-job");
    lastPredict = { job: job, file: file };
    setProps(PREDICT_DROP_BUTTON, { className: "awd-hidden" });
    var select = document.getElementById("results-predict-model");
    var query = [];
    if (select && select.value) { query.push("model=" + encodeURIComponent(select.value)); }
    if (dropIncomplete) { query.push("drop_incomplete=true"); }
    var form = new FormData();
    form.append("file", file, file.name);
    setProps("results-predict-answer", { data: null });
    var words = JSON.parse(z.getAttribute("data-field-words") || "{}");
    send("results-predict", "/api/results/" + encodeURIComponent(job) + "/predict" +
      (query.length ? "?" + query.join("&") : ""), form, {
        name: file.name, busy: "Predicting " + file.name + " …", failed: "Prediction of " + file.name + " failed: ",
        // the API's "drop_incomplete=true" is the button under the message when it is offered (the upload page's
        // words); once tried (every row had a missing value), the field's name alone goes
        say: function (msg, remedies) {
          var offered = remedies.indexOf("drop_incomplete") >= 0 && !dropIncomplete;
          return offered ? inPageWords(msg, words) : msg.replace(/\bdrop_incomplete=true(; )?/g, "");
        },
        done: function (body) {
          var left = (body && body.dropped_rows && body.dropped_rows.count) || 0;
          return "Predicted " + file.name + (left ? ", " + left + " row" + (left === 1 ? "" : "s") +
            " with missing values left out." : ".");
        }
      }, function (body) { setProps("results-predict-answer", { data: body }); },
      function (msg, remedies) {
        if (remedies.indexOf("drop_incomplete") >= 0 && !dropIncomplete) {
          setProps(PREDICT_DROP_BUTTON, { className: "" });
        }
      });
  }

  function upload(z, files) {
    if (z.id === "home-dropzone") { uploadDataset(files); }
    else if (z.id === "results-predict-dropzone") { uploadPredict(z, files[0]); }
    else { uploadTeacher(files[0]); }
  }

  function dropzone(target) {
    return target && target.closest ? target.closest(".awd-dropzone") : null;
  }

  document.addEventListener("dragover", function (e) {
    var z = dropzone(e.target);
    if (z) { e.preventDefault(); z.classList.add("dragover"); }
  });
  document.addEventListener("dragleave", function (e) {
    var z = dropzone(e.target);
    if (z) { z.classList.remove("dragover"); }
  });
  document.addEventListener("drop", function (e) {
    var z = dropzone(e.target);
    if (!z) { return; }
    e.preventDefault();
    z.classList.remove("dragover");
    var files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length) {
      upload(z, files);
    }
  });
  /* A transient <input type=file> (not part of the React tree) opens the system picker. */
  function openPicker(z) {
    var input = document.createElement("input");
    input.type = "file";
    input.accept = z.getAttribute("data-accept") || "";
    input.multiple = z.id === "home-dropzone";  // an .npy pair: X and y together
    input.style.display = "none";
    input.addEventListener("change", function () {
      if (input.files && input.files.length) {
        upload(z, input.files);
      }
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  }
  /* "awd-wavelet" on a results page: "awd-<run>-wavelet", the run being the page's data-run-label (the job id's
     first 8 characters, or "shared-" and a hash of a share link, never a part of the link), so figures of two runs
     saved into one folder do not overwrite each other (the server's files are named the same way). */
  function runFileName(name) {
    var holder = document.querySelector("[data-run-label]");
    var label = holder ? holder.getAttribute("data-run-label") : "";
    return label ? name.replace(/^awd-/, "awd-" + label + "-") : name;
  }
  /* A result's file link, followed after its share link was revoked (or the result deleted) while the page stayed
     open, saved the API's error as the file, or nothing, without a word. The link asks first whether the result is
     still there (its list of files, a few hundred bytes) and says why not beside the links. */
  function checkedDownload(e, link) {
    var m = (link.getAttribute("href") || "").match(/^(\/api\/results\/[^/?#]+)/);
    if (!m || link.getAttribute("data-awd-checked") === "1") { return false; }
    e.preventDefault();
    fetch(m[1] + "/files", { credentials: "same-origin" }).then(function (response) {
      if (response.ok) {
        var stale = document.getElementById("awd-download-error");
        if (stale) { stale.remove(); }
        var copy = link.cloneNode(false);
        copy.setAttribute("data-awd-checked", "1");
        copy.style.display = "none";
        document.body.appendChild(copy);
        copy.click();
        copy.remove();
        return;
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        var detail = body && typeof body.detail === "string" ? body.detail : "";
        showDownloadError("This file cannot be downloaded any more (HTTP " + response.status + ")" +
                          (detail ? ": " + detail : "") + ".", link);
      });
    }).catch(function () {
      showDownloadError("This file cannot be downloaded: the server did not answer.", link);
    });
    return true;
  }
  function showDownloadError(text, link) {
    var list = link.closest("ul") || link.parentNode;
    var note = document.getElementById("awd-download-error");
    if (!note) {
      note = document.createElement("div");
      note.id = "awd-download-error";
      note.className = "alert alert-warning py-2 mb-2";
      note.setAttribute("role", "alert");
      list.parentNode.insertBefore(note, list);
    }
    note.textContent = text;
  }
  document.addEventListener("click", function (e) {
    var file = e.target.closest ? e.target.closest('a[download][href^="/api/results/"]') : null;
    if (file && checkedDownload(e, file)) { return; }
    var dl = e.target.closest ? e.target.closest(".awd-download-figure") : null;
    if (dl) {
      var holder = document.getElementById(dl.getAttribute("data-graph"));
      var gd = holder && (holder.classList.contains("js-plotly-plot") ? holder : holder.querySelector(".js-plotly-plot"));
      if (gd && window.Plotly) {
        window.Plotly.downloadImage(gd, { format: dl.getAttribute("data-format"), scale: 2,
          filename: runFileName(dl.getAttribute("data-filename") || "awd-figure") });
      }
      return;
    }
    if (e.target.closest && e.target.closest("#" + DROP_BUTTON) && lastDatasetFiles) {
      uploadDataset(lastDatasetFiles, { drop_incomplete: "true" });
      return;
    }
    if (e.target.closest && e.target.closest("#" + PAD_BUTTON) && lastDatasetFiles) {
      uploadDataset(lastDatasetFiles, { pad_ends: "true" });
      return;
    }
    if (e.target.closest && e.target.closest("#" + BOTH_BUTTON) && lastDatasetFiles) {
      uploadDataset(lastDatasetFiles, BOTH_FIELDS);
      return;
    }
    if (e.target.closest && e.target.closest("#" + PREDICT_DROP_BUTTON) && lastPredict) {
      var zone = document.getElementById("results-predict-dropzone");  // the same result's panel: the same file
      if (zone && zone.getAttribute("data-job") === lastPredict.job) { uploadPredict(zone, lastPredict.file, true); }
      return;
    }
    // an error's × closes the offer under it too: its remedy buttons answer that error (they stayed, alone)
    var closed = e.target.closest ? e.target.closest(".alert .btn-close") : null;
    var alertBox = closed && closed.closest(".alert");
    if (alertBox && alertBox.id === "home-error") { setProps(REMEDIES, { className: REMEDIES_CLASS + " awd-hidden" }); }
    if (alertBox && alertBox.id === "results-predict-error") { setProps(PREDICT_DROP_BUTTON, { className: "awd-hidden" }); }
    var z = dropzone(e.target);
    if (z) { openPicker(z); }
  });
  document.addEventListener("keydown", function (e) {
    var z = dropzone(e.target);
    if (z && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); openPicker(z); return; }
    /* A link drawn as a button (dbc.Button with href: <a role="button">) is announced as a button, and a button
       answers Space as well as Enter; a link answers Enter only, so Space scrolled the page instead. */
    var a = e.target.closest ? e.target.closest('a[role="button"][href]') : null;
    if (a && e.key === " " && !e.altKey && !e.ctrlKey && !e.metaKey) { e.preventDefault(); a.click(); return; }
    var copy = e.target.closest ? e.target.closest('.awd-copy[role="button"]') : null;
    if (copy && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); copy.click(); return; }
    /* An open dropdown's menu puts the focus on its current option, where typing did nothing (typing "sym5" and
       Enter chose the option below, db6): a letter or digit goes to the menu's search box, as with a mouse. */
    var menu = e.target.closest ? e.target.closest(".dash-dropdown-content") : null;
    if (menu && e.key.length === 1 && e.key !== " " && !e.altKey && !e.ctrlKey && !e.metaKey &&
        !e.target.matches(".dash-dropdown-search")) {
      var search = menu.querySelector(".dash-dropdown-search");
      if (search) { search.focus(); }
    }
  });

  /* A field reached with Tab that lies behind a bar held at the bottom of the window (the configure page's Start
     bar, awd.css .awd-action-bar) scrolls up above it, with its help text under it (its .awd-field box): the browser
     brings the control alone into sight, and counts the strip the bar covers as in sight unless the page's
     scroll-padding-bottom says otherwise. That padding is the bar's height, kept in --awd-action-bar-height as the
     bar grows (the list of wrong fields stands in it; on a phone its button takes a line of its own). Run after the
     browser's own scroll, in the next frame; never so far that the control itself leaves the top of the window. */
  document.addEventListener("focusin", function (e) {
    var bar = document.querySelector(".awd-action-bar");
    if (!bar || bar.contains(e.target) || !e.target.getBoundingClientRect) { return; }
    var target = e.target;
    requestAnimationFrame(function () {
      if (document.activeElement !== target || getComputedStyle(bar).position !== "sticky") { return; }
      var field = target.closest(".awd-field") || target;
      var covered = field.getBoundingClientRect().bottom + 8 - bar.getBoundingClientRect().top;
      var room = target.getBoundingClientRect().top - 8;
      if (covered > 0 && room > 0) { window.scrollBy({top: Math.min(covered, room), behavior: "instant"}); }
    });
  });
  /* A confirmation dialog (frontend/confirm_dialog.py) opens with the focus on its own box (react-bootstrap's
     autofocus), where Tab went first to its close cross: the focus goes on to its "Go back" button, the choice that
     changes nothing (Enter pressed twice must not delete or rerun), with the confirm button the next Tab stop.
     The box takes the focus again when a click lands in it outside its controls: that goes to "Go back" too. */
  document.addEventListener("focusin", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches('.modal[role="dialog"]')) { return; }
    var back = box.querySelector(".awd-confirm-back");
    if (back) { back.focus(); }
  });
  var barHeight = null;
  function watchActionBar() {
    var bar = document.querySelector(".awd-action-bar");
    if (!bar || !window.ResizeObserver || bar.dataset.awdWatched) { return; }
    bar.dataset.awdWatched = "1";
    if (!barHeight) {
      barHeight = new ResizeObserver(function (entries) {
        var box = entries[entries.length - 1].target.getBoundingClientRect();
        document.documentElement.style.setProperty("--awd-action-bar-height", Math.ceil(box.height) + "px");
      });
    }
    barHeight.disconnect();  // the bar of a page left behind
    barHeight.observe(bar);
  }

  /* Phone or not, as components.NARROW_PX decides (the app writes the width when a page opens). */
  var NARROW_PX = 576;
  var wasNarrow = window.innerWidth < NARROW_PX;
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      var narrow = window.innerWidth < NARROW_PX;
      if (narrow !== wasNarrow) {
        wasNarrow = narrow;
        setProps("app-viewport", { data: window.innerWidth });
      }
    }, 250);
  });

  /* Plotly's modebar (zoom, pan, box select, reset, camera) acts on the pointer, and each figure card already has
     PNG and SVG buttons: out of the tab order, the modebar's 5 buttons per chart (65 on a results page) no longer
     stand between a keyboard user and the page's own controls. The mouse uses them as before. */
  function untabModebars(node) {
    if (node.nodeType !== 1 || typeof node.className !== "string" || node.className.indexOf("modebar") < 0) {
      return;  // not a modebar's element: a chart's own nodes (a box selection adds some at every mouse move)
    }
    var buttons = Array.prototype.slice.call(node.querySelectorAll(".modebar-btn:not([tabindex])"));
    if (node.matches(".modebar-btn:not([tabindex])")) { buttons.push(node); }
    for (var i = 0; i < buttons.length; i++) { buttons[i].setAttribute("tabindex", "-1"); }
  }
  /* The copy icons (dcc.Clipboard, class awd-copy) are bare <div>s: out of the tab order and without a role, a
     keyboard user could not copy the code, a citation or a share link. Each becomes a button named by its title;
     Enter and Space click it (the keydown handler above). */
  function buttonizeCopies(node) {
    if (node.nodeType !== 1) { return; }
    var copies = Array.prototype.slice.call(node.querySelectorAll(".awd-copy:not([role])"));
    if (node.matches(".awd-copy:not([role])")) { copies.push(node); }
    for (var i = 0; i < copies.length; i++) {
      copies[i].setAttribute("role", "button");
      copies[i].setAttribute("tabindex", "0");
      if (copies[i].title) { copies[i].setAttribute("aria-label", copies[i].title); }
    }
  }
  /* A dropdown (dcc.Dropdown) is a button named by "<id>-value-count <id>-value": its value alone ("db5, button"),
     without the field's label. The label the page gives it (<label for="<id>">) is put first. */
  function labelDropdowns(node) {
    if (node.nodeType !== 1) { return; }
    var buttons = Array.prototype.slice.call(node.querySelectorAll("button.dash-dropdown[id]:not([data-awd-named])"));
    if (node.matches("button.dash-dropdown[id]:not([data-awd-named])")) { buttons.push(node); }
    for (var i = 0; i < buttons.length; i++) {
      var id = buttons[i].id;
      var label = document.querySelector('label[for="' + (window.CSS ? CSS.escape(id) : id) + '"]');
      if (!label) { continue; }
      if (!label.id) { label.id = id + "-label"; }
      buttons[i].setAttribute("aria-labelledby", label.id + " " + id + "-value");
      buttons[i].setAttribute("data-awd-named", "1");
    }
  }
  /* A slider (dcc.Slider) is a <span role="slider"> inside the element that carries its id, which a <label for>
     cannot name: the label is tied to the handle. */
  function labelSliders(node) {
    if (node.nodeType !== 1) { return; }
    var handles = Array.prototype.slice.call(node.querySelectorAll('[role="slider"]:not([aria-labelledby])'));
    if (node.matches('[role="slider"]:not([aria-labelledby])')) { handles.push(node); }
    for (var i = 0; i < handles.length; i++) {
      for (var holder = handles[i].parentElement; holder; holder = holder.parentElement) {
        var label = holder.id && document.querySelector('label[for="' + (window.CSS ? CSS.escape(holder.id) : holder.id) + '"]');
        if (label) {
          if (!label.id) { label.id = holder.id + "-label"; }
          handles[i].setAttribute("aria-labelledby", label.id);
          break;
        }
      }
    }
  }
  /* On a touch screen a swipe that started on a chart zoomed the chart instead of scrolling the page, and on a
     phone (no toolbar) only a double tap undid it (review 26B): there the charts do not drag (dragmode false, so
     the page scrolls under the finger); a tap still picks a point. Dash redraws a chart with its figure's
     dragmode, so each chart is set again after every redraw. The drawing figure keeps its box tool. */
  var touchOnly = !!(window.matchMedia && window.matchMedia("(hover: none) and (pointer: coarse)").matches);
  function noDragOnTouch(node) {
    if (!touchOnly || node.nodeType !== 1 || !node.closest) { return; }
    var gd = node.closest(".js-plotly-plot");
    if (!gd || gd.hasAttribute("data-awd-nodrag") || gd.closest("#explain-draw-graph") || !gd.on) { return; }
    gd.setAttribute("data-awd-nodrag", "1");
    var fix = function () {
      if (gd.layout && gd.layout.dragmode !== false && window.Plotly) { window.Plotly.relayout(gd, { dragmode: false }); }
    };
    gd.on("plotly_afterplot", fix);
    fix();
  }
  function improve(node) {
    noDragOnTouch(node);
    labelSliders(node);
    untabModebars(node);
    buttonizeCopies(node);
    labelDropdowns(node);
  }
  /* After a move to another page within the app (Dash changes the address with pushState), the focus was left on
     <body> (review 22): it goes to the new page's heading once that is drawn, so that Tab goes on from the top of
     the new page and a screen reader reads where it is (from a navbar link too). Not on the first load, and never
     away from a control of the new page the user has focused meanwhile. */
  /* A new page opens at its top, as a link to another page does outside an app (review 33B: after Start the job
     page opened 209 px down, with its state and progress out of sight): when its heading is drawn, unless the move
     went back in the history (the browser restores that page's place) or to a #section. */
  var focusHeadingOf = null, staleHeading = null, scrollTopOf = null;
  function markMoved(forward) {
    focusHeadingOf = location.pathname;
    scrollTopOf = forward === true && !location.hash ? location.pathname : null;
    staleHeading = document.querySelector("#_pages_content h1");  // the old page's, until the new one is drawn
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var before = location.pathname;
      var out = original.apply(this, arguments);
      if (location.pathname !== before) { markMoved(name === "pushState"); }
      return out;
    };
  });
  window.addEventListener("popstate", function () { markMoved(false); });
  function focusHeading() {
    if (focusHeadingOf === null || focusHeadingOf !== location.pathname) { return; }
    var heading = document.querySelector("#_pages_content h1");
    if (!heading || heading === staleHeading) { return; }
    if (scrollTopOf === location.pathname) {
      scrollTopOf = null;
      window.scrollTo({ top: 0, left: 0, behavior: "instant" });
    }
    var content = document.getElementById("_pages_content"), active = document.activeElement;
    if (active && active !== document.body && content.contains(active)) {  // a control of the new page, focused
      focusHeadingOf = null;
      return;
    }
    focusHeadingOf = null;
    if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
    heading.focus({ preventScroll: true });
  }
  /* A results page's "On this page" link: its target takes the focus too (Tab goes on from that section). */
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.awd-jump-link") : null;
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      for (var j = 0; j < records[i].addedNodes.length; j++) { improve(records[i].addedNodes[j]); }
    }
    focusHeading();
    watchActionBar();
  }).observe(document.documentElement, { childList: true, subtree: true });
  /* A field outlined as wrong (Bootstrap's is-invalid) is wrong for a screen reader too (review 23). */
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      var el = record.target;
      if (!/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) { return; }
      if (el.classList.contains("is-invalid")) { el.setAttribute("aria-invalid", "true"); }
      else if (el.hasAttribute("aria-invalid")) { el.removeAttribute("aria-invalid"); }
    });
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["class"], subtree: true });
  if (document.body) { improve(document.body); }

  /* While the server does not answer (stopped, restarting), a page kept showing its last state, e.g. "running,
     27 s left": a banner says so, and goes when the server is back. Any HTTP answer counts as up. */
  var offline = null;
  function showOffline(down) {
    if (down && !offline) {
      offline = document.createElement("div");
      offline.id = "app-offline";
      offline.className = "alert alert-warning text-center mb-0 rounded-0 awd-offline";
      offline.setAttribute("role", "alert");
      offline.textContent = "AWD Studio is not answering (stopped or restarting?). What this page shows may be " +
        "out of date; it carries on by itself when the server is back.";
      document.body.insertBefore(offline, document.body.firstChild);
    } else if (!down && offline) {
      offline.remove();
      offline = null;
    }
  }
  setInterval(function () {
    if (document.visibilityState !== "visible" || !window.fetch) { return; }
    window.fetch("/assets/awd.css", { method: "HEAD", cache: "no-store" }).then(
      function () { showOffline(false); }, function () { showOffline(true); });
  }, 5000);
})();
