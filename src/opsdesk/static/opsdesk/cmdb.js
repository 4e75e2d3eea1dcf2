/* CMDB pages: the relationship graph of an item (Apache ECharts, served locally) and the type chooser that
 * submits itself. A file, not inline code: the Content-Security-Policy forbids inline scripts. */
(function () {
  "use strict";

  function drawGraph(el) {
    if (typeof echarts === "undefined") return;
    fetch(el.getAttribute("data-graph-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.edges.length) {
          el.classList.add("item-graph-empty");
          el.textContent = el.getAttribute("data-empty") || "";
          el.setAttribute("data-ready", "empty");
          return;
        }
        var types = [];
        data.nodes.forEach(function (n) { if (types.indexOf(n.type) < 0) types.push(n.type); });
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption({
          tooltip: { formatter: function (p) { return p.dataType === "edge" ? p.data.label : p.data.tip; } },
          legend: [{ data: types, bottom: 0 }],
          series: [{
            type: "graph",
            layout: "force",
            roam: true,
            draggable: true,
            force: { repulsion: 420, edgeLength: [110, 190] },
            edgeSymbol: ["none", "arrow"],
            edgeSymbolSize: 8,
            label: { show: true, position: "right", formatter: "{b}" },
            edgeLabel: { show: true, fontSize: 10, formatter: function (p) { return p.data.label; } },
            categories: types.map(function (t) { return { name: t }; }),
            data: data.nodes.map(function (n) {
              return {
                id: String(n.id), name: n.key, url: n.url, category: types.indexOf(n.type),
                tip: n.key + " · " + n.name + " (" + n.type + ")",
                symbolSize: n.id === data.root ? 34 : 22 - 2 * n.importance,
                itemStyle: n.id === data.root ? { borderColor: "#d63939", borderWidth: 3 } : undefined
              };
            }),
            links: data.edges.map(function (e) {
              return { source: String(e.source), target: String(e.target), label: e.label };
            }),
            lineStyle: { color: "source", curveness: 0.1 }
          }]
        });
        chart.on("click", function (p) {
          if (p.dataType === "node" && p.data.url) window.location.href = p.data.url;
        });
        window.addEventListener("resize", function () { chart.resize(); });
        el.setAttribute("data-ready", "drawn");
        el.setAttribute("data-nodes", String(data.nodes.length));
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var graph = document.getElementById("item-graph");
    if (graph) drawGraph(graph);
    document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form && typeof select.form.requestSubmit === "function") select.form.requestSubmit();
        else if (select.form) select.form.submit();
      });
    });
  });
})();
