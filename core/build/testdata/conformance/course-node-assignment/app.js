var express = require('express');
module.exports = express();
