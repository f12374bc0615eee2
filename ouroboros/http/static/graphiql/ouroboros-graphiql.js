// Starts GraphiQL on this page: queries go to this server's /graphql, the example query and
// the endpoint come from the page's <script type="application/json" id="ouroboros-graphiql">.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ouroboros-graphiql").textContent);
  var fetcher = GraphiQL.createFetcher({ url: config.url });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      defaultEditorToolsVisibility: true,
    })
  );
})();
