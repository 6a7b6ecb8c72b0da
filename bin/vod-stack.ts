#!/usr/bin/env node
import { createVodApp } from '../lib/app';

createVodApp();
