module.exports = function (req, res) { res.render('index'); };
